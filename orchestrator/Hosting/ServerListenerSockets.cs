using System.Net;
using System.Net.Sockets;
using Baton.Orchestrator.Cli;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// The sockets of `baton server`'s listeners (--listen, --xds-listen, --metrics-listen), bound
/// before the store is opened or the deploy engine runs, and then handed to Kestrel, which listens
/// on them instead of binding again.
/// </summary>
/// <remarks>
/// Left to Kestrel, a port in use surfaces only once the host starts: after the store and the
/// deploy engine are up, as a stack trace and a "Hosting failed to start" log entry that never say
/// which flag it was. Bound here, it is one line naming the flag, exit code 71, and nothing done.
/// </remarks>
public sealed class ServerListenerSockets : IDisposable
{
    private readonly List<(EndPoint Endpoint, Socket Socket)> _unclaimed = [];

    private ServerListenerSockets() { }

    /// <exception cref="CliException">A listener cannot bind (<see cref="ExitCodes.CannotListen"/>); nothing stays bound.</exception>
    public static ServerListenerSockets Bind(ServerOptions options)
    {
        var sockets = new ServerListenerSockets();
        try
        {
            sockets.Add("--listen", options.Listen);
            sockets.Add("--xds-listen", options.XdsListen);
            if (options.MetricsListen is { } metrics) sockets.Add("--metrics-listen", metrics);
            return sockets;
        }
        catch
        {
            sockets.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For <see cref="SocketTransportOptions.CreateBoundListenSocket"/>: the socket bound for
    /// <paramref name="endpoint"/>, which Kestrel then owns; an endpoint bound by nobody here is
    /// bound the way Kestrel would.
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

    private void Add(string flag, IPEndPoint endpoint)
    {
        Socket socket;
        try
        {
            // Kestrel's own way of binding (dual mode for [::]), so the socket is what it would have made.
            socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        }
        catch (SocketException e)
        {
            throw CliErrors.CannotListen($"cannot listen on {endpoint} ({flag}): {Reason(e)}");
        }
        lock (_unclaimed) _unclaimed.Add((endpoint, socket));
    }

    /// <summary>
    /// The errno in words. "address already in use" is kept literally: scripts and test harnesses
    /// look for it to try again on other ports.
    /// </summary>
    private static string Reason(SocketException e) => e.SocketErrorCode switch
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
