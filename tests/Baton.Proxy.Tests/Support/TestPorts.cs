using System.Net;
using System.Net.Sockets;

namespace Baton.Proxy.Tests.Support;

/// <summary>
/// Port checks for the proxy's listeners. Their ports come from <c>LoopbackPorts.BelowEphemeral</c>: a
/// config names them before anything binds them, and below the kernel's ephemeral range no backend's
/// port-0 listen or outgoing connection can take one meanwhile.
/// </summary>
internal static class TestPorts
{
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
