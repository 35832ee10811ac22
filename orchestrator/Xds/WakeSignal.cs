using System.Threading.Tasks.Sources;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// A stream worker's wake-up: any number of <see cref="Set"/> calls between two waits coalesce into one, and
/// <see cref="Complete"/> ends the waiting. One waiter at a time (the stream's worker). It does what a bounded
/// channel of capacity one with DropWrite did, in one small object instead of five per stream.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource<bool>
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Waiting = 2;
    private const int Completed = 3;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    /// <summary>Wakes the waiter, or the next wait if none is waiting.</summary>
    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle) return;
                    break;
                case Waiting:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _core.SetResult(true);
                        return;
                    }
                    break;
                default: // already signaled, or completed
                    return;
            }
        }
    }

    /// <summary>Ends waiting: the current and every later wait return false.</summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref _state, Completed) == Waiting)
        {
            _core.SetResult(false);
        }
    }

    /// <summary>True once woken (at once if woken since the last wait), false once completed.</summary>
    public ValueTask<bool> WaitAsync()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signaled:
                    if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled) return new ValueTask<bool>(true);
                    break;
                case Completed:
                    return new ValueTask<bool>(false);
                case Idle:
                    _core.Reset();
                    if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle) return new ValueTask<bool>(this, _core.Version);
                    break;
                default:
                    throw new InvalidOperationException("a wake signal has one waiter at a time");
            }
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
