using Microsoft.Win32.SafeHandles;

namespace Baton.Agent.Logs;

/// <summary>
/// A reader's open handle on one log file and the history offset of that file's first byte.
/// Holding the handle keeps the bytes readable even after rotation renames or deletes the file.
/// </summary>
internal sealed class LogCursor(SafeFileHandle handle, long start) : IDisposable
{
    public SafeFileHandle Handle { get; } = handle;
    public long Start { get; } = start;

    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// Where a reader stands, taken under the log's lock: the position it may read from (moved up
/// when older bytes were rotated away), how far it may read, and, when it has caught up with
/// the live end, the task that completes on the next write.
/// </summary>
internal readonly record struct LogProbe(long Position, long ReadableEnd, Task? Changed, bool Ended);
