using System.Net;
using System.Net.Sockets;

namespace Baton.Bench.Shared;

internal static class Ports
{
    /// <summary>Hands out ports from <paramref name="first"/> upwards, skipping any that something else holds.</summary>
    public static Func<int> Sequence(int first)
    {
        var next = first;
        return () =>
        {
            while (!IsFree(next)) next++;
            return next++;
        };
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
