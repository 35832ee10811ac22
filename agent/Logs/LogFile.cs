using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Baton.Agent.Logs;

/// <summary>
/// One stream's log on disk (stdout.log, rotated into stdout.log.1 … .N) seen as one byte
/// history: each byte keeps its offset across rotations and agent restarts. The writer and the
/// readers meet under one lock; readers that caught up wait on a signal the writer raises.
/// </summary>
/// <remarks>
/// Only the current file's start offset is stored (sidecar <c>&lt;name&gt;.start</c>); rotated
/// files never change, so each one starts where the next newer one starts minus its own size.
/// </remarks>
internal sealed class LogFile : IDisposable
{
    private readonly object _gate = new();
    private readonly string _directory;
    private readonly string _currentPath;
    private readonly string _recordPath;
    private readonly long _maxBytes;
    private readonly int _retainedFiles;
    private readonly ILogger _logger;
    private List<RotatedFile> _rotated = [];
    private SafeFileHandle? _handle;
    private long _currentStart;
    private long _currentLength;
    private TaskCompletionSource _changed = NewSignal();
    private bool _someoneWaits;
    private bool _disposed;

    public LogFile(string directory, string name, long maxBytes, int retainedFiles, ILogger logger)
    {
        if (maxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "LogMaxBytes must be positive");
        if (retainedFiles < 0) throw new ArgumentOutOfRangeException(nameof(retainedFiles), retainedFiles, "LogRetainedFiles must not be negative");
        Name = name;
        _directory = directory;
        _currentPath = Path.Combine(directory, name + ".log");
        _recordPath = Path.Combine(directory, name + ".start");
        _maxBytes = maxBytes;
        _retainedFiles = retainedFiles;
        _logger = logger;
        lock (_gate) Recover();
    }

    /// <summary>"stdout" or "stderr".</summary>
    public string Name { get; }

    public string CurrentPath => _currentPath;

    public string RotatedPath(int index) => _currentPath + "." + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The oldest offset still on disk and the offset the next byte will get.</summary>
    public (long Oldest, long End) Bounds()
    {
        lock (_gate) return (OldestStart, _currentStart + _currentLength);
    }

    /// <summary>Appends <paramref name="data"/>, rotating whenever the current file is full, so no file exceeds the limit.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var wrote = false;
            try
            {
                // A handle is missing after Close or after a failed write; the disk says where things stand.
                if (_handle is null) Recover();
                while (!data.IsEmpty)
                {
                    if (_currentLength >= _maxBytes) Rotate();
                    var n = (int)Math.Min(data.Length, _maxBytes - _currentLength);
                    // Positioned writes: a write that failed half-way is overwritten by the next one
                    // instead of leaving bytes that no offset accounts for.
                    RandomAccess.Write(_handle!, data[..n], _currentLength);
                    _currentLength += n;
                    data = data[n..];
                    wrote = true;
                }
            }
            catch
            {
                _handle?.Dispose();
                _handle = null;
                throw;
            }
            finally
            {
                if (wrote) Signal();
            }
        }
    }

    /// <summary>Lets go of the write handle (the instance's pipes are closed); the next append reopens it.</summary>
    public void ReleaseHandle()
    {
        lock (_gate)
        {
            _handle?.Dispose();
            _handle = null;
        }
    }

    /// <summary>
    /// Moves <paramref name="cursor"/> to the file holding <paramref name="position"/> and says how far
    /// it can be read. A position older than anything kept moves up to the oldest kept byte.
    /// </summary>
    public LogProbe Probe(long position, ref LogCursor? cursor)
    {
        lock (_gate)
        {
            if (_disposed) return new LogProbe(position, position, null, Ended: true);
            var end = _currentStart + _currentLength;
            position = Math.Clamp(position, OldestStart, end);
            if (cursor is not null && !Contains(cursor, position))
            {
                cursor.Dispose();
                cursor = null;
            }
            cursor ??= OpenAt(position);
            var live = cursor.Start == _currentStart;
            var readableEnd = live ? end : cursor.Start + RandomAccess.GetLength(cursor.Handle);
            Task? changed = null;
            if (live && position == end)
            {
                _someoneWaits = true;
                changed = _changed.Task;
            }
            return new LogProbe(position, readableEnd, changed, Ended: false);
        }
    }

    /// <summary>A cursor on the file holding the byte at <paramref name="offset"/>, or null when that byte is no longer kept.</summary>
    public LogCursor? OpenContaining(long offset)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (offset < OldestStart || offset >= _currentStart + _currentLength) return null;
            return OpenAt(offset);
        }
    }

    /// <summary>Ends every follower: the log is going away (instance deleted, agent stopping).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _handle?.Dispose();
            _handle = null;
            _changed.TrySetResult();
        }
    }

    private long OldestStart => _rotated.Count == 0 ? _currentStart : _rotated[^1].Start;

    private bool Contains(LogCursor cursor, long position)
    {
        if (position < cursor.Start) return false;
        if (cursor.Start == _currentStart) return true;
        // A file that is no longer current never grows again, so its length is final.
        return position < cursor.Start + RandomAccess.GetLength(cursor.Handle);
    }

    /// <summary>Called under the lock, which rotation also holds, so the path still names the file the offsets describe.</summary>
    private LogCursor OpenAt(long position)
    {
        string path;
        long start;
        if (position >= _currentStart)
        {
            (path, start) = (_currentPath, _currentStart);
        }
        else
        {
            var file = _rotated.FirstOrDefault(f => f.Start <= position && position < f.Start + f.Length);
            if (file.Index == 0) throw new InvalidOperationException($"{Name}: offset {position} lies in no kept file");
            (path, start) = (RotatedPath(file.Index), file.Start);
        }
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new LogCursor(handle, start);
    }

    private void Signal()
    {
        if (!_someoneWaits) return;
        _someoneWaits = false;
        var old = _changed;
        _changed = NewSignal();
        old.TrySetResult();
    }

    // Continuations run on the thread pool, never on the writer's (epoll) thread.
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Shifts rotated files up one index (dropping those past the retention), moves the current file
    /// to .1, starts a new one and records its start. Each step leaves a state <see cref="Recover"/> reads correctly.
    /// </summary>
    private void Rotate()
    {
        var kept = new List<RotatedFile>(_rotated.Count + 1);
        foreach (var file in _rotated)
        {
            if (file.Index >= _retainedFiles) File.Delete(RotatedPath(file.Index));
            else kept.Add(file);
        }
        // Highest index first, so no rename lands on a file not yet moved.
        for (var i = kept.Count - 1; i >= 0; i--)
        {
            File.Move(RotatedPath(kept[i].Index), RotatedPath(kept[i].Index + 1), overwrite: true);
            kept[i] = kept[i] with { Index = kept[i].Index + 1 };
        }
        _handle!.Dispose();
        _handle = null;
        File.Move(_currentPath, RotatedPath(1), overwrite: true);
        var rotatedOut = new RotatedFile(1, _currentStart, _currentLength);
        _handle = File.OpenHandle(_currentPath, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _currentStart += _currentLength;
        _currentLength = 0;
        new LogStartRecord(CurrentInode(), _currentStart).Write(_recordPath);
        // With no retained files the old file still went through .1, so a crash before this line is recovered like any other.
        if (_retainedFiles == 0) File.Delete(RotatedPath(1));
        else kept.Insert(0, rotatedOut);
        _rotated = kept;
        _logger.LogDebug("Rotated {Path}; the new file starts at offset {Offset}", _currentPath, _currentStart);
    }

    /// <summary>Rebuilds the in-memory view from the disk, finishing whatever a rotation interrupted by a crash left behind.</summary>
    private void Recover()
    {
        _handle?.Dispose();
        _handle = null;
        var saved = LogStartRecord.TryRead(_recordPath);
        var first = RotatedPath(1);
        long start;
        if (saved is { } r && LogStartRecord.InodeOf(_currentPath) == r.Inode)
        {
            start = r.Start;
        }
        else if (saved is { } moved && LogStartRecord.InodeOf(first) == moved.Inode)
        {
            // A rotation had moved the recorded file to .1 but not yet recorded its successor.
            start = moved.Start + new FileInfo(first).Length;
        }
        else
        {
            var rotatedBytes = ScanRotated().Sum(i => new FileInfo(RotatedPath(i)).Length);
            start = saved?.Start ?? rotatedBytes;
            if (saved is not null || rotatedBytes > 0)
            {
                _logger.LogWarning("{Path}: the start record does not match the files on disk (changed outside the agent?); offsets continue from {Offset}",
                    _currentPath, start);
            }
        }

        _handle = File.OpenHandle(_currentPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _currentStart = start;
        _currentLength = RandomAccess.GetLength(_handle);
        var current = new LogStartRecord(CurrentInode(), start);
        if (saved != current) current.Write(_recordPath);

        var rotated = new List<RotatedFile>();
        var next = start;
        foreach (var index in ScanRotated())
        {
            var path = RotatedPath(index);
            if (index > _retainedFiles)
            {
                File.Delete(path);
                continue;
            }
            var length = new FileInfo(path).Length;
            if (length > next)
            {
                _logger.LogWarning("{Path} is longer than the history before it allows; it and older files are not served", path);
                break;
            }
            next -= length;
            rotated.Add(new RotatedFile(index, next, length));
        }
        _rotated = rotated;
    }

    private ulong CurrentInode() =>
        LogStartRecord.InodeOf(_currentPath) ?? throw new IOException($"{_currentPath} vanished while it was open");

    /// <summary>Indices of the rotated files present, ascending (newest first); gaps are left by a rotation cut short.</summary>
    private List<int> ScanRotated()
    {
        var prefix = Name + ".log.";
        var indices = new List<int>();
        // Filtered here rather than by a search pattern: "stdout.log.*" would also match stdout.log itself.
        foreach (var path in Directory.EnumerateFiles(_directory))
        {
            var fileName = Path.GetFileName(path);
            if (!fileName.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (int.TryParse(fileName.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index > 0)
                indices.Add(index);
        }
        indices.Sort();
        return indices;
    }

    private readonly record struct RotatedFile(int Index, long Start, long Length);
}
