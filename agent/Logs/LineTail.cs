namespace Baton.Agent.Logs;

/// <summary>Finds where the last N lines of a stream begin, reading backwards from the end across rotated files.</summary>
internal static class LineTail
{
    private const int BlockSize = 64 * 1024;

    /// <summary>
    /// The offset of the first byte of the last <paramref name="lines"/> lines before <paramref name="end"/>.
    /// An unterminated last line counts as a line; when fewer lines are kept, the oldest kept offset.
    /// </summary>
    public static async Task<long> FindStartAsync(LogFile file, long end, int lines, CancellationToken ct)
    {
        if (lines <= 0) return end;
        var (oldest, _) = file.Bounds();
        var buffer = new byte[BlockSize];
        var newlines = 0;
        var position = end;
        while (position > oldest)
        {
            using var cursor = file.OpenContaining(position - 1);
            if (cursor is null) break;
            while (position > cursor.Start)
            {
                var from = Math.Max(cursor.Start, position - BlockSize);
                var length = (int)(position - from);
                await ReadExactlyAsync(cursor, buffer.AsMemory(0, length), from - cursor.Start, ct);
                for (var i = length - 1; i >= 0; i--)
                {
                    // The newline ending the very last line closes it; it does not start another.
                    if (buffer[i] != (byte)'\n' || from + i == end - 1) continue;
                    if (++newlines == lines) return from + i + 1;
                }
                position = from;
            }
        }
        return Math.Max(position, file.Bounds().Oldest);
    }

    private static async Task ReadExactlyAsync(LogCursor cursor, Memory<byte> buffer, long fileOffset, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            var n = await RandomAccess.ReadAsync(cursor.Handle, buffer, fileOffset, ct);
            if (n == 0) throw new IOException($"log file ended {buffer.Length} bytes early (truncated outside the agent?)");
            buffer = buffer[n..];
            fileOffset += n;
        }
    }
}
