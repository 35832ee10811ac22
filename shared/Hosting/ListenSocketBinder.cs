using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Baton.Hosting;

/// <summary>
/// Listen sockets bound ahead of Kestrel, the way Kestrel binds them, and then handed to it
/// (<see cref="Claim"/>), which listens on them instead of binding again. The part the agent's
/// listeners and `baton server`'s share; each keeps its own flags, addresses and error reporting.
/// </summary>
/// <remarks>
/// One source, compiled into both baton-agent and baton (linked by their csproj files, which share
/// no project).
/// </remarks>
internal sealed class ListenSocketBinder : IDisposable
{
    private readonly List<(EndPoint Endpoint, Socket Socket)> _unclaimed = [];

    /// <summary>Binds the way Kestrel does (dual mode for [::]); null when bound, else why not.</summary>
    public SocketException? TryBind(IPEndPoint endpoint)
    {
        Socket socket;
        try
        {
            // Kestrel's own way of binding, so the socket is what it would have made.
            socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        }
        catch (SocketException e)
        {
            return e;
        }
        lock (_unclaimed) _unclaimed.Add((endpoint, socket));
        return null;
    }

    /// <summary>
    /// For <see cref="SocketTransportOptions.CreateBoundListenSocket"/>: the socket bound for
    /// <paramref name="endpoint"/>, which Kestrel then owns; an endpoint bound by nobody here is
    /// bound the way Kestrel would (and fails, or is skipped, as it would).
    /// </summary>
    public Socket Claim(EndPoint endpoint)
    {
        lock (_unclaimed)
        {
            var index = _unclaimed.FindIndex(s => s.Endpoint.Equals(endpoint));
            if (index >= 0)
            {
                var socket = _unclaimed[index].Socket;
                _unclaimed.RemoveAt(index);
                return socket;
            }
        }
        return SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
    }

    /// <summary>
    /// The errno in words. "address already in use" is kept literally: scripts and test harnesses
    /// look for it to try again on other ports.
    /// </summary>
    public static string Reason(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AccessDenied => "permission denied",
        SocketError.AddressNotAvailable => "address not available on this host",
        _ => e.Message,
    };

    /// <summary>Closes the sockets Kestrel did not claim (all of them when the start failed before it).</summary>
    public void Dispose()
    {
        lock (_unclaimed)
        {
            foreach (var (_, socket) in _unclaimed) socket.Dispose();
            _unclaimed.Clear();
        }
    }
}
