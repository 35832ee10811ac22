using System.Net;
using System.Net.Sockets;

namespace Baton.Testing;

/// <summary>
/// Free ports on 127.0.0.1 for the servers the tests, the demo and the benchmarks start. One source file,
/// linked into each of those projects. A port is free when asked; a caller that binds it later must
/// expect, rarely, that something took it meanwhile.
/// </summary>
internal static class LoopbackPorts
{
    /// <summary>The kernel hands out connect() and port-0 ports from 32768 up (Linux's default range).</summary>
    private const int EphemeralRangeStart = 32768;

    private const int LowestPicked = 20000;

    /// <summary>A port the kernel just handed out (in its ephemeral range).</summary>
    public static int Ephemeral()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One free port below the ephemeral range, where no outgoing connection can take it.</summary>
    public static int BelowEphemeral() => FreeBlock(1);

    /// <summary>
    /// The first port of <paramref name="count"/> consecutive free ones, below the kernel's ephemeral
    /// range, so they never collide with <see cref="Ephemeral"/> ports or outgoing connections.
    /// </summary>
    public static int FreeBlock(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var start = Random.Shared.Next(LowestPicked, EphemeralRangeStart - count + 1);
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
        throw new InvalidOperationException($"found no block of {count} free ports on 127.0.0.1 between {LowestPicked} and {EphemeralRangeStart}");
    }
}
