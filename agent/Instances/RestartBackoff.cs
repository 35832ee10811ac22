namespace Baton.Agent.Instances;

/// <summary>Exponential backoff between restarts: initial, doubled each time, capped; reset after a healthy run.</summary>
internal sealed class RestartBackoff(TimeSpan initial, TimeSpan max)
{
    private int _attempt;

    public TimeSpan Next()
    {
        var factor = Math.Pow(2, Math.Min(_attempt, 30));
        _attempt++;
        var delay = TimeSpan.FromMilliseconds(Math.Min(initial.TotalMilliseconds * factor, max.TotalMilliseconds));
        return delay;
    }

    public void Reset() => _attempt = 0;
}
