using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Native;

/// <summary>
/// One thread that waits on many file descriptors (log FIFOs, pidfds) at once, so the agent
/// does not park a blocked thread per instance stream. Callbacks run on the loop thread and
/// must be short: read what is there, write it out, return.
/// </summary>
internal sealed unsafe class EpollLoop : IDisposable
{
    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentDictionary<int, Action<uint>> _callbacks = new();
    private readonly ILogger<EpollLoop> _logger;
    private volatile bool _stopping;

    public EpollLoop(ILogger<EpollLoop> logger)
    {
        _logger = logger;
        _epollFd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epollFd < 0) throw new InvalidOperationException($"epoll_create1 failed: {Libc.LastErrorMessage()}");
        _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd failed: {Libc.LastErrorMessage()}");
        Add(_wakeFd);
        _thread = new Thread(Run) { IsBackground = true, Name = "baton-epoll" };
        _thread.Start();
    }

    /// <summary>Calls <paramref name="onReady"/> with the epoll event mask whenever <paramref name="fd"/> is readable or hung up.</summary>
    public void Register(int fd, Action<uint> onReady)
    {
        if (!_callbacks.TryAdd(fd, onReady)) throw new InvalidOperationException($"fd {fd} is already registered");
        try
        {
            Add(fd);
        }
        catch
        {
            _callbacks.TryRemove(fd, out _);
            throw;
        }
    }

    /// <summary>Stops watching <paramref name="fd"/>; the caller still owns and closes it.</summary>
    public void Unregister(int fd)
    {
        if (_callbacks.TryRemove(fd, out _))
        {
            Libc.epoll_ctl(_epollFd, Libc.EPOLL_CTL_DEL, fd, null);
        }
    }

    private void Add(int fd)
    {
        var ev = new Libc.EpollEvent { Events = Libc.EPOLLIN, Data = (ulong)fd };
        if (Libc.epoll_ctl(_epollFd, Libc.EPOLL_CTL_ADD, fd, &ev) != 0)
            throw new InvalidOperationException($"epoll_ctl(ADD, {fd}) failed: {Libc.LastErrorMessage()}");
    }

    private void Run()
    {
        const int max = 64;
        var events = stackalloc Libc.EpollEvent[max];
        while (!_stopping)
        {
            var n = Libc.epoll_wait(_epollFd, events, max, -1);
            if (n < 0)
            {
                if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                _logger.LogCritical("epoll_wait failed: {Error}; the event loop stops", Libc.LastErrorMessage());
                return;
            }
            for (var i = 0; i < n; i++)
            {
                var fd = (int)events[i].Data;
                if (fd == _wakeFd)
                {
                    ulong drained;
                    Libc.read(_wakeFd, (byte*)&drained, sizeof(ulong));
                    continue;
                }
                if (!_callbacks.TryGetValue(fd, out var callback)) continue;
                try
                {
                    callback(events[i].Events);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Callback for fd {Fd} failed; it is unregistered", fd);
                    Unregister(fd);
                }
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        ulong one = 1;
        Libc.write(_wakeFd, (byte*)&one, sizeof(ulong));
        _thread.Join(TimeSpan.FromSeconds(2));
        Libc.close(_wakeFd);
        Libc.close(_epollFd);
    }
}
