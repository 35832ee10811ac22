using System.Net;
using System.Net.Sockets;

namespace Baton.Proxy.Tests.Support;

/// <summary>
/// Ports for the proxy's listeners, which a config names before anything binds them. Taken below the
/// kernel's ephemeral range (32768+), where the backends' port-0 listens and every outgoing connection
/// get theirs, so the two never collide; a port another test took meanwhile is detected by the bind.
/// </summary>
internal static class TestPorts
{
    public static int Free()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20000, 32768);
            var probe = new TcpListener(IPAddress.Loopback, port);
            try
            {
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
            finally
            {
                probe.Stop();
            }
        }
        throw new InvalidOperationException("no free port found below 32768");
    }

    /// <summary>True when nothing accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> IsClosedAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }
}
