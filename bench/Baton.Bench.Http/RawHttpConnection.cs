using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.Bench.Http;

/// <summary>Thrown by <see cref="RawHttpConnection"/> when a request gets no whole HTTP answer.</summary>
internal sealed class RequestFailedException(RequestError kind, string message) : Exception(message)
{
    public RequestError Kind { get; } = kind;
}

/// <summary>
/// One keep-alive HTTP/1.1 connection on a raw socket, one `GET /` at a time. Deliberately not
/// HttpClient: SocketsHttpHandler, like Go's net/http Transport, sends a request again on a new
/// connection when a reused one fails before any response byte — the very failure a reload causes.
/// Here every failure is the caller's to count; nothing is retried. Understands Content-Length,
/// chunked and close-delimited bodies, and `Connection: close` — enough for Node's http server and
/// Kestrel (baton-proxy), not a general client.
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private const int BufferSize = 16 * 1024;
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();
    private readonly Socket _socket;
    private readonly byte[] _request;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _start; // first unread byte in _buffer
    private int _end; // one past the last received byte

    private RawHttpConnection(Socket socket, byte[] request)
    {
        _socket = socket;
        _request = request;
    }

    /// <summary>Whether the server said it will close after this response (or a body that ends with the connection).</summary>
    public bool Closing { get; private set; }

    public static async Task<RawHttpConnection> OpenAsync(IPEndPoint server, CancellationToken cancel)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, cancel);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var request = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {server}\r\nUser-Agent: baton-bench-noretry\r\n\r\n");
        return new RawHttpConnection(socket, request);
    }

    /// <summary>Sends `GET /` and reads the whole response; returns its status code.</summary>
    public async Task<int> GetAsync(CancellationToken cancel)
    {
        await _socket.SendAsync(_request, SocketFlags.None, cancel);
        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(HeaderEnd)) < 0)
        {
            if (_end - _start == BufferSize) throw new RequestFailedException(RequestError.BadResponse, "response headers over 16 KiB");
            if (!await ReceiveAsync(cancel))
                throw new RequestFailedException(_end == _start ? RequestError.ClosedBeforeResponse : RequestError.ClosedDuringResponse, "connection closed before the response headers ended");
        }
        var head = Encoding.ASCII.GetString(_buffer, _start, headerEnd);
        _start += headerEnd + HeaderEnd.Length;

        var lines = head.Split("\r\n");
        // "HTTP/1.1 200 OK": the version decides the default (1.1 keeps the connection, 1.0 does not).
        if (lines[0].Length < 12 || !lines[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(lines[0].AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            throw new RequestFailedException(RequestError.BadResponse, $"not an HTTP/1.x status line: {lines[0]}");
        Closing = lines[0][7] == '0';
        long? contentLength = null;
        var chunked = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) contentLength = long.Parse(value, CultureInfo.InvariantCulture);
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase)) Closing = value.Contains("close", StringComparison.OrdinalIgnoreCase) || (Closing && !value.Contains("keep-alive", StringComparison.OrdinalIgnoreCase));
        }

        if (chunked) await SkipChunkedBodyAsync(cancel);
        else if (contentLength is { } length) await SkipAsync(length, cancel);
        else
        {
            // No length: the body ends when the server closes (RFC 9112 §6.3), and so does the connection.
            Closing = true;
            _start = _end;
            while (await ReceiveAsync(cancel)) _start = _end;
        }
        return status;
    }

    private async Task SkipChunkedBodyAsync(CancellationToken cancel)
    {
        while (true)
        {
            var sizeLine = await ReadLineAsync(cancel);
            var size = long.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0) break;
            await SkipAsync(size + LineEnd.Length, cancel);
        }
        // Trailer fields, if any, then the empty line that ends the message.
        while ((await ReadLineAsync(cancel)).Length > 0)
        {
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancel)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf(LineEnd)) < 0)
        {
            if (_end - _start == BufferSize) throw new RequestFailedException(RequestError.BadResponse, "chunk line over 16 KiB");
            if (!await ReceiveAsync(cancel)) throw new RequestFailedException(RequestError.ClosedDuringResponse, "connection closed inside a chunked body");
        }
        var line = Encoding.ASCII.GetString(_buffer, _start, end);
        _start += end + LineEnd.Length;
        return line;
    }

    private async Task SkipAsync(long count, CancellationToken cancel)
    {
        while (true)
        {
            var take = (int)Math.Min(count, _end - _start);
            _start += take;
            count -= take;
            if (count == 0) return;
            if (!await ReceiveAsync(cancel)) throw new RequestFailedException(RequestError.ClosedDuringResponse, "connection closed inside the body");
        }
    }

    /// <summary>Reads more bytes after the unread ones (moved to the front); false when the peer has closed.</summary>
    private async Task<bool> ReceiveAsync(CancellationToken cancel)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancel);
        _end += read;
        return read > 0;
    }

    public void Dispose() => _socket.Dispose();
}
