using System.Net;
using System.Net.Sockets;

namespace Baton.Demo;

/// <summary>Waiting for the demo's services to listen (their ports come from LoopbackPorts, free ones, so the demo never collides with a Baton already running on the defaults).</summary>
internal static class Ports
{
    /// <summary>Waits until something accepts connections on 127.0.0.1:<paramref name="port"/>, or <paramref name="process"/> exits.</summary>
    public static async Task WaitUntilListeningAsync(int port, ChildProcess process, TimeSpan limit, CancellationToken ct)
    {
        var giveUp = DateTime.UtcNow + limit;
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < giveUp && !process.HasExited)
            {
                await Task.Delay(100, ct);
            }
            catch (SocketException e)
            {
                var why = process.HasExited ? $"it exited with code {process.ExitCode}" : $"nothing answered on port {port} within {limit.TotalSeconds:0} s ({e.SocketErrorCode})";
                throw new DemoFailedException($"{process.Name} did not come up: {why}; see {process.LogPath}");
            }
        }
    }
}
