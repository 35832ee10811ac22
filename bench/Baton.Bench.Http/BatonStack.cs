using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Baton.Bench.Http;

/// <summary>
/// Baton's side, fresh per scenario: `baton server`, one `baton-agent` and one `baton-proxy`, each
/// with its own temp dir and 127.0.0.1 ports only, driven through the real CLI as a user would:
/// `baton agents add`, `baton apply -f` (examples/hello/hello.yaml, its public_port moved to a free
/// one), `baton deploy hello --artifact hello-v1.tar.gz --watch`. The load goes to the proxy's
/// listener. Disposing kills the app instances' process groups (found by the agent's data-dir
/// marker), then the proxy, the agent and the server.
/// </summary>
internal sealed partial class BatonStack : IAsyncDisposable
{
    public const string ProxyNode = "bench-proxy";
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(90);
    private readonly BatonBinaries _binaries;
    private readonly List<ChildProcess> _processes = [];
    private readonly List<string> _dataDirs = [];
    private ChildProcess? _agent;
    private ChildProcess? _proxy;
    private ChildProcess? _server;

    private BatonStack(BatonBinaries binaries)
    {
        _binaries = binaries;
        ApiPort = LoopbackPorts.Ephemeral();
        XdsPort = LoopbackPorts.Ephemeral();
        AgentPort = LoopbackPorts.Ephemeral();
        PublicPort = LoopbackPorts.Ephemeral();
    }

    public int ApiPort { get; }
    public int XdsPort { get; }
    public int AgentPort { get; }
    public int PublicPort { get; }

    public string ProxyUrl => $"http://127.0.0.1:{PublicPort}/";

    public string Output => string.Join("\n", _processes.Select(p => $"--- {p.Name}\n{p.Output}"));

    /// <summary>Starts everything, applies <paramref name="specYaml"/> (its public_port replaced) and deploys <paramref name="v1Artifact"/>.</summary>
    public static async Task<BatonStack> StartAsync(BatonBinaries binaries, string specYaml, string v1Artifact, CancellationToken cancel)
    {
        var stack = new BatonStack(binaries);
        try
        {
            await stack.StartAsync(specYaml, v1Artifact, cancel);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(string specYaml, string v1Artifact, CancellationToken cancel)
    {
        var (serverFile, serverArgs) = _binaries.Baton;
        _server = Start(new ChildProcess("baton server", serverFile,
            [.. serverArgs, "server", "--listen", $"127.0.0.1:{ApiPort}", "--xds-listen", $"127.0.0.1:{XdsPort}", "--data-dir", NewDataDir("baton-bench-http-server-")]));
        var (agentFile, agentArgs) = _binaries.Agent;
        // A port range of its own, away from the kernel's ephemeral range the bench's own ports come from.
        _agent = Start(new ChildProcess("baton-agent", agentFile,
            [.. agentArgs, "--listen", $"127.0.0.1:{AgentPort}", "--metrics-listen", "off", "--data-dir", NewDataDir("baton-bench-http-agent-"), "--port-range", "26000-26999"]));
        await WaitForTcpAsync("baton-agent", AgentPort, cancel);
        await WaitForTcpAsync("baton server", ApiPort, cancel);

        await BatonAsync(["agents", "add", "a1", $"127.0.0.1:{AgentPort}"], cancel);
        var specFile = Path.Combine(_dataDirs[0], "hello.yaml");
        await File.WriteAllTextAsync(specFile, WithPublicPort(specYaml, PublicPort), cancel);
        await BatonAsync(["apply", "-f", specFile], cancel);
        await BatonAsync(["deploy", "hello", "--artifact", v1Artifact, "--watch"], cancel);

        var (proxyFile, proxyArgs) = _binaries.Proxy;
        _proxy = Start(new ChildProcess("baton-proxy", proxyFile,
            [.. proxyArgs, "--xds", $"http://127.0.0.1:{XdsPort}", "--node", ProxyNode, "--apps", "hello", "--listen-address", "127.0.0.1"]));
        await HelloProbe.WaitForAsync(ProxyUrl, "v1", times: 10, TimeSpan.FromSeconds(30), cancel, () => Output);
    }

    /// <summary>`baton deploy hello --artifact FILE --watch`: exit 0 succeeded, 1 rolled back; its duration is the switch time.</summary>
    public Task<CommandResult> DeployAsync(string artifact, CancellationToken cancel) =>
        CommandLine.RunAsync(_binaries.Baton.File, [.. _binaries.Baton.Args, "deploy", "hello", "--artifact", artifact, "--watch"], CommandLimit, cancel, CliEnvironment);

    /// <summary>
    /// The ports of the app's ready instances, from `baton ps hello --json` (for hitting one directly).
    /// The JSON form, not the table: the table's columns change with the app filter and the terminal.
    /// </summary>
    public async Task<IReadOnlyList<int>> InstancePortsAsync(CancellationToken cancel)
    {
        var ps = await CommandLine.RunAsync(_binaries.Baton.File, [.. _binaries.Baton.Args, "ps", "hello", "--json"], CommandLimit, cancel, CliEnvironment);
        if (ps.ExitCode != 0) throw new InvalidOperationException($"baton ps hello --json exited {ps.ExitCode}:\n{ps.Output}");
        using var reply = JsonDocument.Parse(ps.Output);
        return reply.RootElement.TryGetProperty("instances", out var instances)
            ? instances.EnumerateArray()
                .Where(i => i.TryGetProperty("state", out var state) && state.GetString() == "ready" && i.TryGetProperty("port", out _))
                .Select(i => i.GetProperty("port").GetInt32()).ToList()
            : [];
    }

    public long AgentRssBytes() => ProcFs.RssBytes(_agent!.Pid);
    public long ProxyRssBytes() => ProcFs.RssBytes(_proxy!.Pid);
    public int ProxyPid => _proxy!.Pid;
    public long ServerRssBytes() => ProcFs.RssBytes(_server!.Pid);

    private Task<CommandResult> BatonAsync(string[] args, CancellationToken cancel) =>
        CommandLine.RunCheckedAsync(_binaries.Baton.File, [.. _binaries.Baton.Args, .. args], CommandLimit, cancel, CliEnvironment);

    /// <summary>The CLI's environment: this run's server (docs/cli.md: BATON_SERVER), plain output.</summary>
    private Dictionary<string, string> CliEnvironment => new() { ["BATON_SERVER"] = $"http://127.0.0.1:{ApiPort}", ["NO_COLOR"] = "1" };

    /// <summary>The example's `public_port: 8080` moved to a free port, so a run never collides with whatever holds 8080.</summary>
    private static string WithPublicPort(string specYaml, int port)
    {
        var replaced = PublicPortLine().Replace(specYaml, $"${{indent}}public_port: {port.ToString(CultureInfo.InvariantCulture)}", 1);
        if (replaced == specYaml) throw new InvalidOperationException("the hello spec has no public_port line to move");
        return replaced;
    }

    private async Task WaitForTcpAsync(string what, int port, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, cancel);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && _processes.All(p => !p.HasExited))
            {
                await Task.Delay(100, cancel);
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException($"{what} did not listen on 127.0.0.1:{port} ({e.SocketErrorCode}); output:\n{Output}");
            }
        }
    }

    private ChildProcess Start(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private string NewDataDir(string prefix)
    {
        var dir = Directory.CreateTempSubdirectory(prefix).FullName;
        _dataDirs.Add(dir);
        return dir;
    }

    [GeneratedRegex(@"^(?<indent>\s*)public_port:\s*\d+", RegexOptions.Multiline)]
    private static partial Regex PublicPortLine();

    public async ValueTask DisposeAsync()
    {
        // The apps run in their own sessions and outlive their agent: kill their groups first.
        foreach (var dir in _dataDirs)
            foreach (var pid in ProcFs.SessionLeadersWithEnvironment($"BATON_AGENT_DATA_DIR={dir}"))
                ProcFs.SignalGroup(pid, ProcFs.SigKill);
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        foreach (var dir in _dataDirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // a FIFO still held by a dying instance: left for the OS's temp cleanup
            }
        }
    }
}
