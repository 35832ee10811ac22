using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Baton.Proxy.Tests.Support;

/// <summary>
/// A cleartext HTTP/2 (prior knowledge) upstream that refuses every stream with RST_STREAM REFUSED_STREAM,
/// as a server does at its stream limit or while shutting down: the request was certainly not processed.
/// Speaks just enough of the protocol for that: the settings exchange, PING answers and the resets.
/// </summary>
internal sealed class RefusingHttp2Backend : IAsyncDisposable
{
    private const int FrameHeaderLength = 9;
    private const byte Headers = 0x1;
    private const byte RstStream = 0x3;
    private const byte Settings = 0x4;
    private const byte Ping = 0x6;
    private const byte Ack = 0x1;
    private const uint RefusedStream = 0x7;
    private static readonly int PrefaceLength = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".Length;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _refused;

    private RefusingHttp2Backend()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Streams (requests) refused so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public static RefusingHttp2Backend Start() => new();

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                connections.Add(ServeAsync(socket));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: stop accepting.
        }
        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        await using (var stream = new NetworkStream(socket, ownsSocket: false))
        {
            try
            {
                await stream.ReadExactlyAsync(new byte[PrefaceLength], _stop.Token);
                await WriteFrameAsync(stream, Settings, 0, 0, []);
                var header = new byte[FrameHeaderLength];
                while (true)
                {
                    await stream.ReadExactlyAsync(header, _stop.Token);
                    var length = (header[0] << 16) | (header[1] << 8) | header[2];
                    var type = header[3];
                    var flags = header[4];
                    var streamId = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFF_FFFF;
                    var payload = new byte[length];
                    await stream.ReadExactlyAsync(payload, _stop.Token);
                    if (type == Settings && (flags & Ack) == 0)
                    {
                        await WriteFrameAsync(stream, Settings, Ack, 0, []);
                    }
                    else if (type == Ping && (flags & Ack) == 0)
                    {
                        await WriteFrameAsync(stream, Ping, Ack, 0, payload);
                    }
                    else if (type == Headers)
                    {
                        Interlocked.Increment(ref _refused);
                        var code = new byte[4];
                        BinaryPrimitives.WriteUInt32BigEndian(code, RefusedStream);
                        await WriteFrameAsync(stream, RstStream, 0, streamId, code);
                    }
                }
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException)
            {
                // The client closed the connection, or the test ended: this connection is done.
            }
        }
    }

    private async Task WriteFrameAsync(NetworkStream stream, byte type, byte flags, uint streamId, byte[] payload)
    {
        var frame = new byte[FrameHeaderLength + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, FrameHeaderLength);
        await stream.WriteAsync(frame, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
