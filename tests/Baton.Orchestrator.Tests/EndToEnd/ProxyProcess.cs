using Baton.Orchestrator.Tests.Support;
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

    private readonly BoundedOutput _output = new();
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
        process.OutputDataReceived += (_, e) => proxy._output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy._output.Append(e.Data);
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

    public string OutputTail() => _output.ToString();

    /// <summary>baton-proxy.dll built in the same configuration as this test (the test project builds proxy/Host first).</summary>
    private static string ProxyDll() => RepoLayout.BuiltDll(Path.Combine("proxy", "Host"), "baton-proxy.dll");

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
