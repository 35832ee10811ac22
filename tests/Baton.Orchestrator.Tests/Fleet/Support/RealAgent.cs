using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Baton.Protos.Agent.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Baton.Orchestrator.Tests.Fleet.Support;

/// <summary>
/// A real baton-agent process started from baton-agent.dll in the test output, with its own data
/// dir, listen port and instance port range. Disposing kills the agent and every instance it
/// started, also when the test failed.
/// </summary>
internal sealed class RealAgent : IAsyncDisposable
{
    private readonly string? _tokenFile;
    private readonly AgentProxySettings? _proxy;
    private Process? _process;
    private GrpcChannel? _channel;

    private RealAgent(string dataDir, int listenPort, (int Start, int End) portRange, string? tokenFile, AgentProxySettings? proxy)
    {
        DataDir = dataDir;
        ListenPort = listenPort;
        PortRange = portRange;
        _tokenFile = tokenFile;
        _proxy = proxy;
    }

    public string DataDir { get; }

    public int ListenPort { get; }

    public (int Start, int End) PortRange { get; }

    public string Address => $"127.0.0.1:{ListenPort}";

    /// <summary>A client straight to the agent (not through the fleet), carrying the token when there is one.</summary>
    public AgentService.AgentServiceClient DirectClient { get; private set; } = null!;

    public StringBuilder Output { get; } = new();

    /// <summary>Whether this agent also runs the built-in baton-proxy (`--proxy`).</summary>
    public bool RunsProxy => _proxy is not null;

    /// <summary>The last <paramref name="chars"/> characters the agent wrote (its proxy's log included).</summary>
    public string OutputTail(int chars = 40_000)
    {
        lock (Output)
        {
            return Output.Length <= chars ? Output.ToString() : Output.ToString(Output.Length - chars, chars);
        }
    }

    /// <summary>
    /// Starts an agent; with <paramref name="token"/> it requires `authorization: Bearer TOKEN`; with
    /// <paramref name="proxy"/> it also runs the built-in baton-proxy (`--proxy`).
    /// </summary>
    public static async Task<RealAgent> StartAsync(string? token = null, int portCount = 20, AgentProxySettings? proxy = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var dataDir = Path.Combine(Path.GetTempPath(), "baton-fleet-test-" + Guid.NewGuid().ToString("n")[..12]);
            Directory.CreateDirectory(dataDir);
            string? tokenFile = null;
            if (token is not null)
            {
                tokenFile = Path.Combine(dataDir, "token");
                await File.WriteAllTextAsync(tokenFile, token + "\n");
            }
            // Instance ports come from a free block the kernel picked, so parallel test classes do not collide.
            var start = LoopbackPorts.FreeBlock(portCount);
            var agent = new RealAgent(dataDir, LoopbackPorts.Ephemeral(), (start, start + portCount - 1), tokenFile, proxy);
            try
            {
                await agent.StartProcessAsync(token);
                return agent;
            }
            catch (InvalidOperationException) when (attempt < StartAttempts && agent.TookPortTakenMeanwhile())
            {
                // The port was free when picked, and a parallel test's connection took it before the agent
                // bound it: start again on fresh ports rather than fail a test about something else.
                await agent.DisposeAsync();
            }
            catch
            {
                await agent.DisposeAsync();
                throw;
            }
        }
    }

    private const int StartAttempts = 3;

    private bool TookPortTakenMeanwhile()
    {
        lock (Output) return Output.ToString().Contains("address already in use", StringComparison.Ordinal);
    }

    /// <summary>Starts the agent again on the same data dir and port (after <see cref="Kill"/>).</summary>
    public Task RestartAsync() => StartProcessAsync(_tokenFile is null ? null : File.ReadAllText(_tokenFile).Trim());

    private async Task StartProcessAsync(string? token)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "baton-agent.dll"), "--listen", Address, "--metrics-listen", "off",
            "--data-dir", DataDir, "--port-range", $"{PortRange.Start}-{PortRange.End}",
        ];
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        if (_tokenFile is not null)
        {
            psi.ArgumentList.Add("--token-file");
            psi.ArgumentList.Add(_tokenFile);
        }
        if (_proxy is not null)
        {
            foreach (var arg in _proxy.Arguments()) psi.ArgumentList.Add(arg);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start baton-agent");
        _process.OutputDataReceived += (_, e) => { lock (Output) Output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (Output) Output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        _channel?.Dispose();
        _channel = GrpcChannel.ForAddress($"http://{Address}");
        var invoker = _channel.CreateCallInvoker();
        DirectClient = token is null
            ? new AgentService.AgentServiceClient(invoker)
            : new AgentService.AgentServiceClient(Grpc.Core.Interceptors.CallInvokerExtensions.Intercept(invoker, m =>
            {
                m.Add("authorization", "Bearer " + token);
                return m;
            }));

        // The deadline only stops a hang; it is not a claim about start-up time.
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await DirectClient.GetHealthAsync(new GetHealthRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < giveUp && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (RpcException e)
            {
                throw new InvalidOperationException($"baton-agent did not come up: {e.Status}; output:\n{Output}");
            }
        }
    }

    /// <summary>SIGKILLs the agent only; its instances live on in their own sessions.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: false);
        _process?.WaitForExit();
    }

    /// <summary>Uploads the test app as release APP/VERSION straight to the agent, as the fleet would.</summary>
    public async Task UploadTestReleaseAsync(string app, string version)
    {
        var path = Path.Combine(DataDir, $"upload-{Guid.NewGuid():n}.tar.gz");
        var sha = TestArtifact.Write(path);
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        using var call = DirectClient.UploadRelease();
        await call.RequestStream.WriteAsync(new UploadReleaseRequest { Header = new ReleaseHeader { App = app, Version = version, Sha256 = sha, Size = (ulong)bytes.Length } });
        await call.RequestStream.WriteAsync(new UploadReleaseRequest { Chunk = Google.Protobuf.ByteString.CopyFrom(bytes) });
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
    }

    public static string TestAppPath => Path.Combine(AppContext.BaseDirectory, "apps", "testapp.js");

    /// <summary>An instance of the test app (node testapp.js) from a release made by <see cref="TestArtifact"/>.</summary>
    public static InstanceSpec NodeSpec(string id, string app, string version, params string[] appArgs)
    {
        var spec = new InstanceSpec { InstanceId = id, App = app, Version = version, Command = "node" };
        spec.Args.Add("testapp.js");
        spec.Args.AddRange(appArgs);
        return spec;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var pid in InstancePids()) _ = kill(-pid, 9);
        }
        finally
        {
            Kill();
            _channel?.Dispose();
            _process?.Dispose();
        }
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException e)
        {
            // A log or FIFO still held by a dying process; the temp dir is left for the OS to clear.
            Console.Error.WriteLine($"could not delete {DataDir}: {e.Message}");
        }
        await Task.CompletedTask;
    }

    /// <summary>Session leaders carrying this agent's mark in their environment: the instances it started.</summary>
    private List<int> InstancePids()
    {
        var mark = $"BATON_AGENT_DATA_DIR={DataDir}";
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z" || fields[3] != pid.ToString(System.Globalization.CultureInfo.InvariantCulture)) continue;
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(mark)) pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or another user's process: not one of ours.
            }
        }
        return pids;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
