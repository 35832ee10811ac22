using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Baton.Protos.Agent.V1;
using Grpc.Net.Client;

namespace Baton.Agent.Tests.Support;

/// <summary>
/// A real baton-agent process for a test: its own data dir, listen port and instance port range.
/// Disposing kills the agent and every process group it started, also when the test failed.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private static int s_nextRange;
    private readonly List<string> _extraArgs;
    private Process? _process;
    private GrpcChannel? _channel;

    private AgentProcess(string dataDir, int listenPort, int rangeStart, int rangeEnd, IEnumerable<string> extraArgs)
    {
        DataDir = dataDir;
        ListenPort = listenPort;
        PortRangeStart = rangeStart;
        PortRangeEnd = rangeEnd;
        _extraArgs = extraArgs.ToList();
    }

    public string DataDir { get; }
    public int ListenPort { get; private set; }
    public int MetricsPort { get; private set; } = LoopbackPorts.Ephemeral();
    public int PortRangeStart { get; }
    public int PortRangeEnd { get; }
    public int Pid => _process?.Id ?? 0;
    public AgentService.AgentServiceClient Client { get; private set; } = null!;
    public System.Text.StringBuilder Output { get; } = new();

    /// <summary>Starts an agent with a fresh data dir; <paramref name="portCount"/> ports are reserved for its instances.</summary>
    public static async Task<AgentProcess> StartAsync(int portCount = 50, IEnumerable<string>? extraArgs = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "baton-agent-test-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(dataDir);
        // Test classes run in parallel: each agent gets its own slice of ports, all below the
        // kernel's ephemeral range (32768+), where the agents' own listen ports come from.
        var slice = Interlocked.Add(ref s_nextRange, portCount) - portCount;
        var start = 20000 + ((Environment.ProcessId % 12) * 1000 + slice) % 12000;
        var agent = new AgentProcess(dataDir, LoopbackPorts.Ephemeral(), start, start + portCount - 1, extraArgs ?? []);
        // A port free when asked can be taken by a parallel test before the agent binds it: the
        // agent then exits with "address already in use", and the start is tried on fresh ports.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await agent.StartProcessAsync();
                break;
            }
            catch (InvalidOperationException) when (attempt < 3 && agent.Output.ToString().Contains("address already in use", StringComparison.Ordinal))
            {
                agent.Kill();
                agent.ListenPort = LoopbackPorts.Ephemeral();
                agent.MetricsPort = LoopbackPorts.Ephemeral();
                lock (agent.Output) agent.Output.Clear();
            }
        }
        return agent;
    }

    /// <summary>Starts the agent again on the same data dir (after <see cref="Kill"/>).</summary>
    public Task RestartAsync() => StartProcessAsync();

    public async Task StartProcessAsync()
    {
        var agentDll = Path.Combine(AppContext.BaseDirectory, "baton-agent.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { agentDll, "--listen", $"127.0.0.1:{ListenPort}", "--data-dir", DataDir, "--port-range", $"{PortRangeStart}-{PortRangeEnd}", "--metrics-listen", $"127.0.0.1:{MetricsPort}" }.Concat(_extraArgs))
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the agent");
        _process.OutputDataReceived += (_, e) => { lock (Output) Output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (Output) Output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        _channel?.Dispose();
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ListenPort}");
        Client = new AgentService.AgentServiceClient(_channel);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await Client.GetHealthAsync(new GetHealthRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (Grpc.Core.RpcException e)
            {
                throw new InvalidOperationException($"agent did not come up: {e.Status}; output:\n{Output}");
            }
        }
    }

    /// <summary>SIGKILLs the agent process only (its instances are in their own sessions and live on).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: false);
        _process?.WaitForExit();
    }

    /// <summary>Uploads the test app as release APP/VERSION, the way the orchestrator ships releases.</summary>
    public async Task InstallTestReleaseAsync(string app = "demo", string version = "v1")
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip))
        {
            tar.WriteEntry(Path.Combine(AppContext.BaseDirectory, "apps", "testapp.js"), "testapp.js");
        }
        var artifact = buffer.ToArray();
        using var call = Client.UploadRelease();
        await call.RequestStream.WriteAsync(new UploadReleaseRequest
        {
            Header = new ReleaseHeader
            {
                App = app,
                Version = version,
                Size = (ulong)artifact.Length,
                Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(artifact)),
            },
        });
        await call.RequestStream.WriteAsync(new UploadReleaseRequest { Chunk = Google.Protobuf.ByteString.CopyFrom(artifact) });
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
    }

    public static InstanceSpec NodeSpec(string id, string app = "demo", string version = "v1", params string[] appArgs)
    {
        var spec = new InstanceSpec { InstanceId = id, App = app, Version = version, Command = "node" };
        spec.Args.Add("testapp.js");
        spec.Args.AddRange(appArgs);
        return spec;
    }

    public string LogPath(string instanceId, string stream = "stdout") => Path.Combine(DataDir, "instances", instanceId, $"{stream}.log");

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Kill every instance group the agent may have started, whatever state the test left.
            foreach (var pid in InstancePids()) KillGroup(pid);
        }
        finally
        {
            Kill();
            _channel?.Dispose();
            _process?.Dispose();
        }
        await Task.Yield();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A FIFO or log still held by a dying process; the temp dir is left for the OS to clear.
        }
    }

    /// <summary>Session leaders whose environment carries this agent's data dir: the instances it started.</summary>
    public IReadOnlyList<int> InstancePids()
    {
        var mark = $"BATON_AGENT_DATA_DIR={DataDir}";
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var env = File.ReadAllText(Path.Combine(dir, "environ"));
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z") continue;
                if (env.Split('\0').Contains(mark) && fields[3] == pid.ToString()) pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or another user's process: not one of ours.
            }
        }
        return pids;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void KillGroup(int pgid)
    {
        if (pgid > 1) _ = kill(-pgid, 9);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
