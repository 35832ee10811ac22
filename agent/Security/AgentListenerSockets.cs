using System.Net;
using System.Net.Sockets;
using Baton.Agent.Configuration;
using Baton.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Baton.Agent.Security;

/// <summary>
/// The sockets of the agent's listeners (listen, metrics_listen), bound before the data dir is
/// touched or any instance adopted, and then handed to Kestrel, which listens on them instead of
/// binding again.
/// </summary>
/// <remarks>
/// Left to Kestrel, a port in use surfaces only once the host starts: after the recovery has adopted,
/// restarted or killed instances of the data dir (which may be another running agent's), as a stack
/// trace and a "Hosting failed to start" log entry that never say which setting it was. Bound here,
/// it is one line naming the flag, exit code 71, and nothing done. The binding itself and the handing
/// over are <see cref="ListenSocketBinder"/>'s, shared with `baton server`.
/// </remarks>
public sealed class AgentListenerSockets : IDisposable
{
    private readonly ListenSocketBinder _bound = new();

    private AgentListenerSockets() { }

    /// <exception cref="CannotListenException">A listener cannot bind; nothing stays bound.</exception>
    /// <exception cref="AgentConfigurationException">The options name an invalid address.</exception>
    public static AgentListenerSockets Bind(AgentOptions options)
    {
        var sockets = new AgentListenerSockets();
        try
        {
            sockets.Add("--listen", ListenAddress.Parse(options.Listen, "listen"));
            if (options.MetricsListen is not null)
                sockets.Add("--metrics-listen", ListenAddress.Parse(options.MetricsListen, "metrics_listen"));
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
    /// bound the way Kestrel would (and fails, or is skipped, as it would).
    /// </summary>
    public Socket Claim(EndPoint endpoint)
        => _bound.Claim(endpoint);

    /// <summary>
    /// Binds what Kestrel binds for <paramref name="address"/> (see <see cref="AgentListenerExtensions"/>),
    /// failing where it fails: an IP binds that IP; "localhost" binds 127.0.0.1 and [::1] and
    /// does without one this host lacks; "*" binds [::] in dual mode, else 0.0.0.0. A port in use
    /// fails every form.
    /// </summary>
    private void Add(string flag, ListenAddress address)
    {
        if (address.Address is { } ip)
        {
            if (TryAdd(new IPEndPoint(ip, address.Port)) is { } failure) throw CannotListen(flag, address, failure);
        }
        else if (address.IsLocalhost)
        {
            var v4 = TryAdd(new IPEndPoint(IPAddress.Loopback, address.Port));
            if (v4 is { SocketErrorCode: SocketError.AddressAlreadyInUse }) throw CannotListen(flag, address, v4);
            var v6 = TryAdd(new IPEndPoint(IPAddress.IPv6Loopback, address.Port));
            if (v6 is { SocketErrorCode: SocketError.AddressAlreadyInUse }) throw CannotListen(flag, address, v6);
            if (v4 is not null && v6 is not null) throw CannotListen(flag, address, v4);
        }
        else
        {
            var dualMode = TryAdd(new IPEndPoint(IPAddress.IPv6Any, address.Port));
            if (dualMode is null) return;
            if (dualMode.SocketErrorCode == SocketError.AddressAlreadyInUse) throw CannotListen(flag, address, dualMode);
            if (TryAdd(new IPEndPoint(IPAddress.Any, address.Port)) is { } v4) throw CannotListen(flag, address, v4);
        }
    }

    /// <summary>Binds the way Kestrel does (dual mode for [::]); null when bound, else why not.</summary>
    private SocketException? TryAdd(IPEndPoint endpoint) => _bound.TryBind(endpoint);

    private static CannotListenException CannotListen(string flag, ListenAddress address, SocketException e)
        => new($"cannot listen on {address} ({flag}): {ListenSocketBinder.Reason(e)}", e);

    /// <summary>Closes the sockets Kestrel did not claim (all of them when the start failed before it).</summary>
    public void Dispose()
        => _bound.Dispose();
}
