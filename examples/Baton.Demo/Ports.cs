using System.Net;
using System.Net.Sockets;

namespace Baton.Demo;

/// <summary>Free loopback ports, so the demo never collides with a Baton already running on the defaults.</summary>
internal static class Ports
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first port of <paramref name="count"/> consecutive free ones, below the kernel's ephemeral range (32768+) where <see cref="FreePort"/> draws from.</summary>
    public static int FreeBlock(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var start = Random.Shared.Next(20000, 32768 - count);
            var listeners = new List<TcpListener>();
            try
            {
                for (var port = start; port < start + count; port++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    listeners.Add(listener);
                }
                return start;
            }
            catch (SocketException)
            {
                // Part of this block is taken: try another one.
            }
            finally
            {
                foreach (var listener in listeners) listener.Stop();
            }
        }
        throw new DemoFailedException($"found no block of {count} free ports on 127.0.0.1");
    }

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
