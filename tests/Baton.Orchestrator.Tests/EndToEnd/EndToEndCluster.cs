using Baton.Orchestrator.Tests.Support;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Baton.Orchestrator.Tests.Cli;
using Baton.Orchestrator.Tests.Conformance;
using Baton.Orchestrator.Tests.Fleet.Support;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// A whole Baton installation made of real processes on 127.0.0.1: `baton server` (killable), two
/// or more baton-agents, the `baton` CLI for commands, and traffic. The app is one of two:
/// <list type="bullet">
/// <item><see cref="EchoApp"/> (the default), tests/conformance/release-server.js (ReleaseEcho) over gRPC,
/// shipped as echo-VERSION.tar.gz artifacts that may carry a release-mode.json so each version behaves
/// its own way, called by grpc-js-xds clients, or, with a public port in its spec, through a standalone
/// baton-proxy on <see cref="PublicPort"/> by <see cref="GrpcLoad"/>;</item>
/// <item><see cref="HelloApp"/>, the quickstart HTTP app (examples/hello/VERSION), whose artifacts may
/// carry environment variables of their own, called through baton-proxy (standalone or inside an agent)
/// on <see cref="PublicPort"/> by <see cref="HttpLoad"/>.</item>
/// </list>
/// Disposing kills every process it started (instances included) and writes the server's and the
/// proxies' logs to the test output.
/// </summary>
internal sealed class EndToEndCluster : IAsyncDisposable
{
    public const string EchoApp = "echo";
    public const string HelloApp = "hello";

    private readonly ITestOutputHelper _output;
    private readonly List<XdsClientProcess> _clients = [];
    private readonly List<ProxyProcess> _proxies = [];
    private readonly List<IAsyncDisposable> _loads = [];

    private EndToEndCluster(ITestOutputHelper output, string app, string workDir, OrchestratorProcess server, IReadOnlyList<RealAgent> agents)
    {
        _output = output;
        App = app;
        WorkDir = workDir;
        Server = server;
        Agents = agents;
        // Below the ephemeral range, so no outgoing connection of another test takes it before the proxy binds it.
        PublicPort = LoopbackPorts.FreeBlock(1);
    }

    /// <summary>The app every command, spec and artifact of this cluster is about.</summary>
    public string App { get; }

    /// <summary>The app's routing.public_port (the hello app's always, the echo app's when its spec asks): where the proxies listen for it.</summary>
    public int PublicPort { get; }

    public string WorkDir { get; }

    public OrchestratorProcess Server { get; }

    public IReadOnlyList<RealAgent> Agents { get; }

    public Protos.Orchestrator.V1.Orchestrator.OrchestratorClient Api => Server.Api;

    public static string AgentName(int index) => $"a{index + 1}";

    /// <summary>
    /// Starts the server and <paramref name="agentCount"/> agents for <paramref name="app"/>, and registers the
    /// agents with `baton agents add`. With <paramref name="proxyInFirstAgent"/>, the first agent also runs the
    /// built-in baton-proxy (`baton-agent --proxy`) for the app; one only, as every proxy binds the same public port.
    /// </summary>
    public static async Task<EndToEndCluster> StartAsync(ITestOutputHelper output, int agentCount = 2, string app = EchoApp, bool proxyInFirstAgent = false)
    {
        var workDir = Directory.CreateTempSubdirectory("baton-e2e-").FullName;
        var serverTask = OrchestratorProcess.StartAsync(Path.Combine(workDir, "server"));
        var agentTasks = new List<Task<RealAgent>>();
        try
        {
            if (proxyInFirstAgent)
            {
                // The agent's proxy needs the server's xDS address, known once the server runs.
                var xds = (await serverTask).XdsAddress;
                agentTasks.Add(RealAgent.StartAsync(proxy: new AgentProxySettings(xds, "agent-proxy", app)));
            }
            agentTasks.AddRange(Enumerable.Range(agentTasks.Count, agentCount - agentTasks.Count).Select(_ => RealAgent.StartAsync()));
            await Task.WhenAll([serverTask, .. agentTasks]);
        }
        catch
        {
            foreach (var started in agentTasks.Where(t => t.IsCompletedSuccessfully)) await started.Result.DisposeAsync();
            if (serverTask.IsCompletedSuccessfully) await serverTask.Result.DisposeAsync();
            Directory.Delete(workDir, recursive: true);
            throw;
        }
        var cluster = new EndToEndCluster(output, app, workDir, serverTask.Result, agentTasks.Select(t => t.Result).ToList());
        try
        {
            var added = await Task.WhenAll(cluster.Agents.Select((a, i) => cluster.CliAsync("agents", "add", AgentName(i), a.Address)));
            foreach (var result in added) Assert.True(result.ExitCode == 0, result.ToString());
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    // ------------------------------------------------------------------ CLI

    public Task<CliResult> CliAsync(params string[] args) => BatonCli.RunAsync([.. args, "--server", Server.ApiAddress]);

    /// <summary>`baton apply -f APP.yaml`; asserts it succeeded.</summary>
    public async Task ApplyAsync(string specYaml)
    {
        var result = await ApplyRawAsync(specYaml);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    public async Task<CliResult> ApplyRawAsync(string specYaml, string fileName = "echo.yaml")
    {
        var path = Path.Combine(WorkDir, fileName);
        await File.WriteAllTextAsync(path, specYaml);
        return await CliAsync("apply", "-f", path);
    }

    /// <summary>`baton deploy APP --artifact APP-VERSION.tar.gz` (the CLI returns once the deploy started); asserts it started.</summary>
    public async Task<Deploy> DeployAsync(string version, object? mode = null)
    {
        var result = await CliAsync("deploy", App, "--artifact", Artifact(version, mode));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"started deploy {App}-", result.Stdout, StringComparison.Ordinal);
        var deploy = (await StatusAsync()).Deploy;
        Assert.Equal(version, deploy.ToVersion);
        return deploy;
    }

    /// <summary>Deploys and waits for the deploy to end; asserts it succeeded.</summary>
    public async Task<Deploy> DeployToEndAsync(string version, object? mode = null)
    {
        var started = await DeployAsync(version, mode);
        var done = await WaitForDeployAsync(started.Id, DeployFinished, $"deploy of {version} finished");
        Assert.True(done.Phase == DeployPhase.Succeeded, $"deploy of {version}: {done}");
        return done;
    }

    /// <summary>`baton history APP --json`, parsed back as the reply message.</summary>
    public async Task<ListDeploysResponse> HistoryAsync()
    {
        var result = await CliAsync("history", App, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonParser.Default.Parse<ListDeploysResponse>(result.Stdout);
    }

    // ------------------------------------------------------------------ artifacts

    /// <summary>
    /// APP-VERSION.tar.gz, flat, with <paramref name="mode"/> making this release behave its own way.
    /// Echo: release-server.js, release_echo.proto and, with a mode, release-mode.json (e.g.
    /// <c>new { failRate = 0.3 }</c>). Hello: examples/hello/VERSION and, with a mode, its properties as
    /// environment variables of this release only (e.g. <c>new { HELLO_FAIL_RATE = "0.3" }</c>).
    /// </summary>
    public string Artifact(string version, object? mode = null)
    {
        var path = Path.Combine(WorkDir, $"{App}-{version}.tar.gz");
        if (App == HelloApp)
        {
            FolderArtifact.Pack(Path.Combine(HelloDirectory, version), path, environment: mode is null ? null : FolderArtifact.Environment(mode));
            return path;
        }
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
        {
            tar.WriteEntry(Path.Combine(XdsClientProcess.ConformanceDirectory, "release-server.js"), "release-server.js");
            tar.WriteEntry(Path.Combine(XdsClientProcess.ConformanceDirectory, "protos", "release_echo.proto"), "release_echo.proto");
            if (mode is not null)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "release-mode.json")
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(mode))),
                });
            }
        }
        return path;
    }

    /// <summary>examples/hello: the quickstart app's v1/ and v2/.</summary>
    public static string HelloDirectory => Path.Combine(RepoLayout.Root, "examples", "hello");

    /// <summary>
    /// The echo app's spec, with <paramref name="strategy"/> (YAML lines under `strategy:`, indented by the
    /// caller as at top level), optional extra top-level YAML and, for traffic through a baton-proxy, a
    /// routing.public_port (<see cref="PublicPort"/>); without one the app is for proxyless clients only.
    /// </summary>
    public static string Spec(string strategy, string extra = "", int? publicPort = null)
    {
        var nodeModules = Path.Combine(XdsClientProcess.ConformanceDirectory, "node_modules");
        var indented = Indent(strategy);
        return $"""
            name: {EchoApp}
            command: node
            args: [release-server.js]
            env:
              NODE_PATH: {nodeModules}
            placement:
              instances_per_agent: 1
            readiness:
              type: tcp
              interval: 100ms
            routing:
              protocol: grpc{(publicPort is { } port ? $"\n  public_port: {port}" : "")}
            {extra.Trim('\n')}
            strategy:
            {indented}
            """.Replace("\n\n", "\n", StringComparison.Ordinal) + "\n";
    }

    /// <summary>
    /// The hello app's spec as examples/hello/hello.yaml writes it, with this cluster's public port, one
    /// instance per agent, a quicker readiness probe, <paramref name="strategy"/> and optional extra top-level YAML.
    /// </summary>
    public string HelloSpec(string strategy, string extra = "") => $"""
        name: {HelloApp}
        command: node
        args: [server.js]
        placement:
          instances_per_agent: 1
        readiness:
          type: http
          path: /healthz
          interval: 100ms
          timeout: 500ms
        stop:
          signal: SIGTERM
          timeout: 10s
        routing:
          protocol: http
          public_port: {PublicPort}
          request_timeout: 30s
        {extra.Trim('\n')}
        strategy:
        {Indent(strategy)}
        """.Replace("\n\n", "\n", StringComparison.Ordinal) + "\n";

    private static string Indent(string yaml) => string.Join('\n', yaml.Trim('\n').Split('\n').Select(l => "  " + l));

    // ------------------------------------------------------------------ traffic

    /// <summary>A grpc-js-xds client dialing xds:///echo through this server, calling continuously (4 workers, 2 ms apart).</summary>
    public async Task<XdsClientProcess> StartClientAsync(string nodeId, int concurrency = 4, int pauseMs = 2)
    {
        var client = await XdsClientProcess.StartAsync(XdsClientKind.GrpcJs, Server.XdsAddress, nodeId, App, concurrency, pauseMs);
        _clients.Add(client);
        return client;
    }

    /// <summary>A standalone baton-proxy (a process of its own) fronting the app on 127.0.0.1:<see cref="PublicPort"/>.</summary>
    public ProxyProcess StartProxy(string node)
    {
        var proxy = ProxyProcess.Start(Server.XdsAddress, node, App);
        _proxies.Add(proxy);
        return proxy;
    }

    /// <summary>
    /// HTTP traffic through <see cref="PublicPort"/>, started once a first request there was answered by
    /// the app: a proxy binds the port only with a route, so the load counts no failure from before.
    /// </summary>
    public async Task<HttpLoad> StartHttpLoadAsync(HttpLoadShape? shape = null)
    {
        using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            await WaitForAnswerAsync(async () =>
            {
                try
                {
                    using var response = await probe.GetAsync(new Uri($"http://127.0.0.1:{PublicPort}/"));
                    return response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return e.Message;
                }
            });
        }
        var load = HttpLoad.Start(PublicPort, shape);
        _loads.Add(load);
        return load;
    }

    /// <summary>
    /// gRPC traffic (Grpc.Net.Client, h2c) through <see cref="PublicPort"/> to the echo app, started once a
    /// first call there was answered by the app, for the same reason as <see cref="StartHttpLoadAsync"/>.
    /// </summary>
    public async Task<GrpcLoad> StartGrpcLoadAsync(GrpcLoadShape? shape = null)
    {
        using (var probe = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{PublicPort}"))
        {
            var echo = new Conformance.Echo.ReleaseEcho.ReleaseEchoClient(probe);
            await WaitForAnswerAsync(async () =>
            {
                try
                {
                    await echo.WhichAsync(new Conformance.Echo.WhichRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                    return null;
                }
                catch (RpcException e)
                {
                    return $"{e.StatusCode}: {e.Status.Detail}";
                }
            });
        }
        var load = GrpcLoad.Start(PublicPort, shape);
        _loads.Add(load);
        return load;
    }

    /// <summary>Calls <paramref name="tryOnce"/> (null when the app answered, else what went wrong) until the app answers.</summary>
    private async Task WaitForAnswerAsync(Func<Task<string?>> tryOnce)
    {
        // The deadline only stops a hang; it is not a claim about how fast a proxy gets its config.
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        var last = "nothing tried";
        while (DateTime.UtcNow < giveUp)
        {
            if (await tryOnce() is not { } failure) return;
            last = failure;
            await Task.Delay(100);
        }
        throw new TimeoutException($"no proxy answered for {App} on 127.0.0.1:{PublicPort}; last: {last}");
    }

    // ------------------------------------------------------------------ observing

    public static bool DeployFinished(Deploy d) => d.Phase is DeployPhase.Succeeded or DeployPhase.RolledBack;

    public Task<AppStatus> StatusAsync() => Api.GetStatusAsync(new GetStatusRequest { App = App }).ResponseAsync;

    /// <summary>
    /// Polls the deploy <paramref name="deployId"/> until <paramref name="done"/>; a server that is down
    /// (killed, restarting) is waited for. <paramref name="onEach"/> sees every state read on the way.
    /// The deadline only stops a hang.
    /// </summary>
    public async Task<Deploy> WaitForDeployAsync(string deployId, Func<Deploy, bool> done, string what,
        Action<Deploy>? onEach = null, int timeoutSeconds = 90)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        Deploy? last = null;
        while (true)
        {
            try
            {
                var status = await Api.GetStatusAsync(new GetStatusRequest { App = App }, deadline: DateTime.UtcNow.AddSeconds(5));
                if (status.Deploy is { } d && d.Id == deployId)
                {
                    last = d;
                    onEach?.Invoke(d);
                    if (done(d)) return d;
                    if (DeployFinished(d)) throw new InvalidOperationException($"deploy ended before {what}: {d}");
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                // The server is down or restarting: keep waiting.
            }
            if (DateTime.UtcNow > giveUp) throw new TimeoutException($"gave up waiting for {what}; last state: {last}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the data plane <paramref name="node"/> is connected to the server and has ACKed all it was sent.</summary>
    public async Task<DataPlane> WaitForDataPlaneAsync(string node)
    {
        var plane = await Fleet.Support.Eventually.MatchAsync(
            async () => (await Api.ListDataPlanesAsync(new ListDataPlanesRequest { App = App })).DataPlanes.FirstOrDefault(d => d.NodeId == node),
            d => d is { Status: "in sync" }, $"data plane {node} connected and in sync");
        return plane!;
    }

    /// <summary>The app's instances as the agents report them (through the server), for one version or all.</summary>
    public async Task<List<Instance>> InstancesAsync(string? version = null)
    {
        var reply = await Api.ListInstancesAsync(new ListInstancesRequest { App = App });
        Assert.True(reply.Unreachable.Count == 0, $"agents unreachable: {string.Join(", ", reply.Unreachable)}");
        return reply.Instances.Where(i => version is null || i.Version == version).OrderBy(i => i.InstanceId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Instance id → pid of a version's instances, every one of them ready with a pid.</summary>
    public async Task<Dictionary<string, int>> ReadyPidsAsync(string version, int expected)
    {
        var instances = await InstancesAsync(version);
        Assert.True(instances.Count == expected && instances.All(i => i.State == "ready" && i.Pid > 0),
            $"expected {expected} ready instance(s) of {version}: {string.Join("; ", instances)}");
        return instances.ToDictionary(i => i.InstanceId, i => i.Pid);
    }

    /// <summary>Whether the process runs as an instance of this app (a zombie, or a pid now used by something else, does not count).</summary>
    public bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && File.ReadAllText($"/proc/{pid}/environ").Contains($"BATON_APP={App}", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var load in _loads)
        {
            try
            {
                await load.DisposeAsync();
            }
            catch (Exception e)
            {
                _output.WriteLine($"load on the public port: {e}");
            }
        }
        foreach (var client in _clients)
        {
            try
            {
                await client.DisposeAsync();
            }
            catch (Exception e)
            {
                _output.WriteLine($"xds client {client.NodeId}: {e.Message}");
            }
        }
        // Each process is stopped even if stopping another one threw: a leak here outlives the test.
        var stops = new List<Func<ValueTask>>();
        stops.AddRange(_proxies.Select(p => (Func<ValueTask>)p.DisposeAsync));
        stops.Add(Server.DisposeAsync);
        stops.AddRange(Agents.Select(a => (Func<ValueTask>)a.DisposeAsync));
        foreach (var stop in stops)
        {
            try
            {
                await stop();
            }
            catch (Exception e)
            {
                _output.WriteLine($"stopping a process failed: {e}");
            }
        }
        try
        {
            _output.WriteLine($"---- baton server output (tail)\n{Server.OutputTail()}");
            foreach (var proxy in _proxies) _output.WriteLine($"---- baton-proxy {proxy.Node} output (tail)\n{proxy.OutputTail()}");
            foreach (var agent in Agents.Where(a => a.RunsProxy)) _output.WriteLine($"---- baton-agent {agent.Address} (with --proxy) output (tail)\n{agent.OutputTail()}");
        }
        catch (InvalidOperationException)
        {
            // No test is running any more to take the output.
        }
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process; the temp dir is left for the OS to clear.
        }
    }
}
