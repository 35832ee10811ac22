using Baton.Orchestrator.Tests.Conformance;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// The next N requests started after the window opened (as xds-client.js's `window` command counts
/// them): a request joins when it starts, and the window ends once its members have all finished,
/// so it never mixes answers from before it opened. Not thread-safe: <see cref="LoadWindows"/> holds a lock around it.
/// </summary>
internal sealed class LoadWindow(int calls)
{
    private readonly TallyCounter _tally = new();
    private readonly TaskCompletionSource<ClientTally> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _full = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = calls;
    private int _pending;

    public bool WantsCalls => _remaining > 0;

    /// <summary>Completes once the window has all the calls it wanted (they may still be in flight).</summary>
    public Task Full => _full.Task;

    public Task<ClientTally> Finished => _finished.Task;

    /// <summary>A request started and belongs to this window.</summary>
    public void Join()
    {
        _remaining--;
        _pending++;
        if (_remaining == 0) _full.TrySetResult();
    }

    /// <summary>A member request ended.</summary>
    public void Leave(HttpOutcome outcome)
    {
        _tally.Record(outcome);
        _pending--;
        FinishIfDone();
    }

    /// <summary>Time is up: no more requests join; the window ends once its requests in flight have.</summary>
    public void Close()
    {
        _remaining = 0;
        _full.TrySetResult();
        FinishIfDone();
    }

    public string Progress() => $"{_tally.Snapshot()} ({_pending} in flight, {_remaining} still wanted)";

    private void FinishIfDone()
    {
        if (_remaining == 0 && _pending == 0) _finished.TrySetResult(_tally.Snapshot());
    }
}
