using System.Net;
using System.Net.Sockets;
using Baton.Hosting;
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
/// The binding itself and the handing over are <see cref="ListenSocketBinder"/>'s, shared with the agent.
/// </remarks>
public sealed class ServerListenerSockets : IDisposable
{
    private readonly ListenSocketBinder _bound = new();

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
        => _bound.Claim(endpoint);

    private void Add(string flag, IPEndPoint endpoint)
    {
        if (_bound.TryBind(endpoint) is { } e)
            throw CliErrors.CannotListen($"cannot listen on {endpoint} ({flag}): {ListenSocketBinder.Reason(e)}");
    }

    /// <summary>Closes the sockets Kestrel did not claim (all of them when the start failed before it).</summary>
    public void Dispose()
        => _bound.Dispose();
}
