using System.Net;
using System.Net.Sockets;

namespace Baton.Agent.Probes;

/// <summary>Healthy when a TCP connection to 127.0.0.1:port is accepted; closes it at once.</summary>
internal sealed class TcpProbeCheck(int port) : IProbeCheck
{
    public int Port { get; } = port;

    public async Task<ProbeOutcome> CheckAsync(CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return ProbeOutcome.Fail(ProbeFailure.Describe(e));
        }
        return ProbeOutcome.Pass("connected");
    }

    public override string ToString() => $"tcp 127.0.0.1:{Port}";
}
