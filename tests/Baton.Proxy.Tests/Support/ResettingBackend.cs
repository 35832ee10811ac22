using System.Net;
using System.Net.Sockets;

namespace Baton.Proxy.Tests.Support;

/// <summary>
/// An upstream that fails the way a crashing or overloaded app does: it accepts each connection, reads
/// a whole request head, then drops the connection without a byte of response, either with a TCP reset
/// (<see cref="Drop.Reset"/>) or an orderly close (<see cref="Drop.Close"/>).
/// </summary>
internal sealed class ResettingBackend : IAsyncDisposable
{
    public enum Drop
    {
        Reset,
        Close,
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Drop _drop;
    private readonly Task _accepting;
    private int _requestHeads;

    private ResettingBackend(Drop drop)
    {
        _drop = drop;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Request heads read in full (each then dropped).</summary>
    public int RequestHeads => Volatile.Read(ref _requestHeads);

    public static ResettingBackend Start(Drop drop = Drop.Reset) => new(drop);

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                connections.Add(DropAfterHeadAsync(socket));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: stop accepting.
        }
        await Task.WhenAll(connections);
    }

    private async Task DropAfterHeadAsync(Socket socket)
    {
        using (socket)
        {
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (!EndsHead(received))
            {
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    return; // the proxy gave up on the connection first: nothing left to drop
                }
                if (read == 0)
                {
                    return; // likewise, closed in order
                }
                received.AddRange(buffer.AsSpan(0, read));
            }
            Interlocked.Increment(ref _requestHeads);
            if (_drop == Drop.Reset)
            {
                // Linger 0: close sends RST instead of FIN, as a process killed mid-request does.
                socket.LingerState = new LingerOption(enable: true, seconds: 0);
            }
            else
            {
                socket.Shutdown(SocketShutdown.Both);
            }
        }
    }

    private static bool EndsHead(List<byte> received)
    {
        for (var i = 3; i < received.Count; i++)
        {
            if (received[i - 3] == '\r' && received[i - 2] == '\n' && received[i - 1] == '\r' && received[i] == '\n')
            {
                return true;
            }
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // A connection still reading when the test ended.
        }
        _stop.Dispose();
    }
}
