using System.Diagnostics;
using System.Text;
using Baton.Orchestrator.Tests.Fleet.Support;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// `baton server` as a real child process (dotnet baton.dll server) on free loopback ports with its
/// own data dir, so a test can SIGKILL it and start it again on the same ports and data dir.
/// Disposing kills it, also when the test failed.
/// </summary>
internal sealed class OrchestratorProcess : IAsyncDisposable
{

    private readonly BoundedOutput _output = new();
    private Process? _process;

    private OrchestratorProcess(string dataDir)
    {
        DataDir = dataDir;
        ApiPort = LoopbackPorts.Ephemeral();
        XdsPort = LoopbackPorts.Ephemeral();
        Channel = GrpcChannel.ForAddress(ApiAddress);
        Api = new Protos.Orchestrator.V1.Orchestrator.OrchestratorClient(Channel);
    }

    public string DataDir { get; }

    public int ApiPort { get; }

    public int XdsPort { get; }

    public string ApiAddress => $"http://127.0.0.1:{ApiPort}";

    public string XdsAddress => $"127.0.0.1:{XdsPort}";

    /// <summary>The API as a gRPC client, for the replies a test needs structured; it reconnects across restarts.</summary>
    public Protos.Orchestrator.V1.Orchestrator.OrchestratorClient Api { get; }

    private GrpcChannel Channel { get; }

    public int Starts { get; private set; }

    /// <summary>The running server's pid (the dotnet process), 0 before the first start.</summary>
    public int Pid => _process?.Id ?? 0;

    public static async Task<OrchestratorProcess> StartAsync(string dataDir)
    {
        // The two ports are picked free but only bound by the server later: a parallel test's
        // outgoing connection can take one in between. The server then exits with "address already
        // in use", and the start is tried again on fresh ports.
        for (var attempt = 1; ; attempt++)
        {
            var server = new OrchestratorProcess(dataDir);
            try
            {
                await server.StartProcessAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3 && server.OutputTail().Contains("address already in use", StringComparison.Ordinal))
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts the server again on the same ports and data dir (after <see cref="Kill"/>).</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <summary>SIGKILL: no shutdown code runs, as when the host loses power or the OOM killer strikes.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: false);
        }
        _process?.WaitForExit();
        _output.Append($"---- SIGKILLed (start {Starts})");
    }

    public string OutputTail() => _output.ToString();

    private async Task StartProcessAsync()
    {
        Starts++;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "baton.dll"), "server",
            "--listen", $"127.0.0.1:{ApiPort}", "--xds-listen", XdsAddress, "--data-dir", DataDir,
        })
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var name in new[] { "BATON_SERVER", "BATON_TOKEN", "BATON_TOKEN_FILE" })
        {
            psi.Environment.Remove(name);
        }
        psi.Environment["NO_COLOR"] = "1";
        _process?.Dispose();
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start baton server");
        _process.OutputDataReceived += (_, e) => _output.Append(e.Data);
        _process.ErrorDataReceived += (_, e) => _output.Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // The deadline only stops a hang; it is not a claim about start-up time.
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await Api.ListAgentsAsync(new ListAgentsRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < giveUp && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (RpcException e)
            {
                throw new InvalidOperationException($"baton server did not come up: {e.Status}; output:\n{OutputTail()}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Channel.Dispose();
    }
}
