using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// A standalone `baton-proxy` as a real child process (dotnet baton-proxy.dll from proxy/Host's build
/// output), fed by a `baton server`'s xDS endpoint and keeping its listeners on 127.0.0.1. Disposing
/// kills it, also when the test failed.
/// </summary>
internal sealed class ProxyProcess : IAsyncDisposable
{
    private const int OutputTailChars = 40_000;

    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private ProxyProcess(string node, Process process)
    {
        Node = node;
        _process = process;
    }

    /// <summary>node.id, as `baton dataplanes` lists it.</summary>
    private int _disposed;

    public string Node { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts `baton-proxy --xds http://XDS --node NODE --apps APPS --listen-address 127.0.0.1`; it connects on its own.</summary>
    public static ProxyProcess Start(string xdsAddress, string node, string apps)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ProxyDll(), "--xds", $"http://{xdsAddress}", "--node", node, "--apps", apps, "--listen-address", "127.0.0.1" })
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["NO_COLOR"] = "1";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start baton-proxy");
        var proxy = new ProxyProcess(node, process);
        process.OutputDataReceived += (_, e) => proxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return proxy;
    }

    /// <summary>
    /// Waits until the proxy accepts connections on 127.0.0.1:<paramref name="port"/>: it binds a
    /// listener only once the orchestrator serves one (the app applied, a release routed).
    /// </summary>
    public async Task WaitUntilListeningAsync(int port)
    {
        // The deadline only stops a hang; it is not a claim about start-up time.
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < giveUp && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException e)
            {
                var why = _process.HasExited ? $"it exited with code {_process.ExitCode}" : $"nothing listens on {port} ({e.SocketErrorCode})";
                throw new InvalidOperationException($"baton-proxy {Node} does not serve port {port}: {why}; output:\n{OutputTail()}");
            }
        }
    }

    public string OutputTail()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    /// <summary>baton-proxy.dll built in the same configuration as this test (proxy/Host/bin/CONFIG/net10.0).</summary>
    private static string ProxyDll()
    {
        var binDir = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = binDir.Parent!.Name;
        var repo = binDir;
        while (!File.Exists(Path.Combine(repo.FullName, "Grpc.sln"))) repo = repo.Parent ?? throw new InvalidOperationException($"no Grpc.sln above {binDir}");
        var dll = Path.Combine(repo.FullName, "proxy", "Host", "bin", configuration, "net10.0", "baton-proxy.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build tests/Baton.Orchestrator.Tests (it builds proxy/Host first)");
        return dll;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
            if (_output.Length > OutputTailChars)
            {
                _output.Remove(0, _output.Length - OutputTailChars);
            }
        }
    }

    /// <summary>Kills the proxy; a test may stop it early, and the cluster disposing it again changes nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
