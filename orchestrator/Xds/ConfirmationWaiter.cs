namespace Baton.Orchestrator.Xds;

/// <summary>
/// One pending weight step: the data planes it waits for and where each stands. Only the stream that moved
/// is re-evaluated, and the tally is kept as counts, so a step over thousands of streams costs O(1) per ACK.
/// </summary>
internal sealed class ConfirmationWaiter
{
    private readonly Lock _gate = new();
    private readonly IReadOnlyList<CachedResource> _expected;
    private readonly Dictionary<long, AdsStream> _streams;
    private readonly Dictionary<long, DataPlaneConfirmation> _states = new();
    private readonly TaskCompletionSource<WeightConfirmation> _completion =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Entries of <see cref="_states"/> that are Nacked, and that are Acked or Disconnected.</summary>
    private int _nacked;
    private int _done;

    public ConfirmationWaiter(IReadOnlyList<CachedResource> expected, IEnumerable<AdsStream> streams)
    {
        _expected = expected;
        _streams = streams.ToDictionary(s => s.Id);
    }

    public Task<WeightConfirmation> Task => _completion.Task;

    public void EvaluateAll()
    {
        foreach (var stream in _streams.Values)
        {
            Evaluate(stream);
        }
        lock (_gate)
        {
            CompleteIfDecided();
        }
    }

    /// <summary>Re-checks one stream if this step waits for it.</summary>
    public void Evaluate(AdsStream stream)
    {
        if (!_streams.ContainsKey(stream.Id) || _completion.Task.IsCompleted)
        {
            return;
        }
        var confirmation = stream.Confirmation(_expected);
        lock (_gate)
        {
            if (_states.TryGetValue(stream.Id, out var previous))
            {
                Count(previous.State, -1);
            }
            _states[stream.Id] = confirmation;
            Count(confirmation.State, +1);
            CompleteIfDecided();
        }
    }

    public void TimeOut()
    {
        lock (_gate)
        {
            _completion.TrySetResult(new WeightConfirmation(ConfirmationOutcome.TimedOut, Current()));
        }
    }

    public void Cancel(CancellationToken cancellationToken) => _completion.TrySetCanceled(cancellationToken);

    private void Count(DataPlaneState state, int delta)
    {
        switch (state)
        {
            case DataPlaneState.Nacked:
                _nacked += delta;
                break;
            case DataPlaneState.Acked or DataPlaneState.Disconnected:
                _done += delta;
                break;
        }
    }

    private void CompleteIfDecided()
    {
        if (_states.Count < _streams.Count || _completion.Task.IsCompleted)
        {
            return;
        }
        if (_nacked > 0)
        {
            _completion.TrySetResult(new WeightConfirmation(ConfirmationOutcome.Nacked, Current()));
        }
        else if (_done == _streams.Count)
        {
            _completion.TrySetResult(new WeightConfirmation(ConfirmationOutcome.Acked, Current()));
        }
    }

    private List<DataPlaneConfirmation> Current() =>
        _streams.Keys.Select(id => _states.TryGetValue(id, out var state)
                ? state
                : new DataPlaneConfirmation(id, "", DataPlaneState.Pending, null))
            .OrderBy(s => s.StreamId)
            .ToList();
}
