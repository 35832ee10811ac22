using System.Net;
using System.Net.Sockets;

namespace Baton.Orchestrator.Tests.Fleet.Support;

/// <summary>
/// A TCP forwarder on 127.0.0.1 in front of an agent that can cut the network: <see cref="Cut"/>
/// resets every open connection and refuses new ones until <see cref="Restore"/>. The agent keeps
/// running meanwhile, so events it emits during the cut must be replayed, not lost.
/// </summary>
internal sealed class TcpCutter : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly List<(TcpClient Inbound, TcpClient Outbound)> _pairs = [];
    private readonly Task _acceptLoop;
    private bool _cut;

    public TcpCutter(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void Cut()
    {
        lock (_lock)
        {
            _cut = true;
            foreach (var (inbound, outbound) in _pairs)
            {
                // A pair whose peer already closed has been disposed by its pump (Client is then null).
                if (inbound.Client is { } socket) socket.LingerState = new LingerOption(true, 0);
                inbound.Dispose();
                outbound.Dispose();
            }
            _pairs.Clear();
        }
    }

    public void Restore()
    {
        lock (_lock) _cut = false;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var inbound = await _listener.AcceptTcpClientAsync(_stopping.Token);
                bool cut;
                lock (_lock) cut = _cut;
                if (cut)
                {
                    inbound.Client.LingerState = new LingerOption(true, 0);
                    inbound.Dispose();
                    continue;
                }
                var outbound = new TcpClient();
                try
                {
                    await outbound.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token);
                }
                catch (SocketException)
                {
                    // The agent is down: the caller sees its connection closed, as it would without the cutter.
                    inbound.Dispose();
                    outbound.Dispose();
                    continue;
                }
                lock (_lock) _pairs.Add((inbound, outbound));
                _ = PumpAsync(inbound, outbound);
                _ = PumpAsync(outbound, inbound);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), _stopping.Token);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // One side went away (a cut, or the peer closed); closing the other below ends the pair.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Cut();
        await _acceptLoop;
        _stopping.Dispose();
    }
}
