using System.Buffers;
using System.Runtime.InteropServices;
using Baton.Agent.Native;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Logs;

/// <summary>
/// The agent's side of one instance stream's named FIFO: a non-blocking read end watched by the
/// epoll loop and copied straight into the <see cref="LogFile"/>, plus a write end the agent keeps
/// open so the pipe never reports EOF while the app is between two runs.
/// </summary>
/// <remarks>
/// The FIFO outlives both the agent and the app: whatever the app writes while no agent runs
/// waits in the pipe (the app blocks when it is full, it does not lose output) until the next
/// agent opens the same path.
/// </remarks>
internal sealed unsafe class LogFifo : IDisposable
{
    public const int PipeSize = 1024 * 1024;
    private const int ReadSize = 64 * 1024;
    // Level-triggered epoll calls back while bytes remain, so a chatty app is served in slices
    // and cannot starve the other instances sharing the loop thread.
    private const int MaxReadsPerWakeup = 16;

    private readonly object _gate = new();
    private readonly LogFile _file;
    private readonly EpollLoop _loop;
    private readonly ILogger _logger;
    private int _readFd;
    private int _keepAliveFd;
    private long _droppedBytes;

    private LogFifo(string path, LogFile file, EpollLoop loop, ILogger logger, int readFd, int keepAliveFd)
    {
        Path = path;
        _file = file;
        _loop = loop;
        _logger = logger;
        _readFd = readFd;
        _keepAliveFd = keepAliveFd;
    }

    public string Path { get; }

    /// <summary>Creates the FIFO unless it exists (re-attaching to a running app), opens both ends and starts copying.</summary>
    public static LogFifo Open(string path, LogFile file, EpollLoop loop, ILogger logger)
    {
        var cpath = Libc.Utf8z(path);
        int readFd, keepAliveFd = -1;
        fixed (byte* p = cpath)
        {
            if (Libc.mkfifo(p, 0b110_000_000) != 0 && Marshal.GetLastPInvokeError() != Libc.EEXIST)
                throw new IOException($"mkfifo {path} failed: {Libc.LastErrorMessage()}");
            // Read end first: opening a FIFO's write end without blocking fails (ENXIO) while it has no reader.
            readFd = Libc.open(p, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
            if (readFd < 0) throw new IOException($"open {path} for reading failed: {Libc.LastErrorMessage()}");
        }
        try
        {
            if (Libc.fcntl(readFd, Libc.F_GETPIPE_SZ, 0) < 0)
                throw new IOException($"{path} exists but is not a FIFO ({Libc.LastErrorMessage()})");
            fixed (byte* p = cpath)
            {
                keepAliveFd = Libc.open(p, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
                if (keepAliveFd < 0) throw new IOException($"open {path} for writing failed: {Libc.LastErrorMessage()}");
            }
            if (Libc.fcntl(readFd, Libc.F_SETPIPE_SZ, PipeSize) < 0)
            {
                // Unprivileged users are capped by fs.pipe-max-size / pipe-user-pages-soft; a smaller pipe only means the app blocks sooner.
                logger.LogWarning("Could not grow {Path} to {Size} bytes ({Error}); it keeps {Current} bytes",
                    path, PipeSize, Libc.LastErrorMessage(), Libc.fcntl(readFd, Libc.F_GETPIPE_SZ, 0));
            }
            var fifo = new LogFifo(path, file, loop, logger, readFd, keepAliveFd);
            loop.Register(readFd, fifo.OnReadable);
            return fifo;
        }
        catch
        {
            if (keepAliveFd >= 0) Libc.close(keepAliveFd);
            Libc.close(readFd);
            throw;
        }
    }

    /// <summary>Copies everything the pipe holds now into the log; used once the app has exited.</summary>
    public void Drain() => Pump(int.MaxValue);

    /// <summary>Stops copying and closes both ends. Bytes still in the pipe stay there for the next reader.</summary>
    public void Dispose()
    {
        // Taking the lock waits for a copy in progress, so nothing read from the pipe is left unwritten.
        lock (_gate)
        {
            if (_readFd < 0) return;
            _loop.Unregister(_readFd);
            Libc.close(_readFd);
            Libc.close(_keepAliveFd);
            _readFd = _keepAliveFd = -1;
        }
    }

    private void OnReadable(uint events) => Pump(MaxReadsPerWakeup);

    private void Pump(int maxReads)
    {
        lock (_gate)
        {
            if (_readFd < 0) return;
            var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
            try
            {
                for (var i = 0; i < maxReads; i++)
                {
                    nint n;
                    fixed (byte* p = buffer) n = Libc.read(_readFd, p, ReadSize);
                    if (n > 0)
                    {
                        Write(buffer.AsSpan(0, (int)n));
                        continue;
                    }
                    if (n == 0)
                        throw new IOException($"{Path} reported end of file although the agent holds a write end");
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EINTR) continue;
                    if (errno == Libc.EAGAIN) return;
                    throw new IOException($"read {Path} failed: {Libc.LastErrorMessage()}");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// A log that cannot be written (disk full, folder removed) must not stall the app: the bytes
    /// are dropped and counted, and the loss is logged when it starts and when it ends.
    /// </summary>
    private void Write(ReadOnlySpan<byte> data)
    {
        try
        {
            _file.Append(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (_droppedBytes == 0)
                _logger.LogError(e, "Writing {Path} to its log failed; output is dropped until writing works again", Path);
            _droppedBytes += data.Length;
            return;
        }
        if (_droppedBytes > 0)
        {
            _logger.LogWarning("Writing {Path} to its log works again; {Bytes} bytes were dropped", Path, _droppedBytes);
            _droppedBytes = 0;
        }
    }
}
