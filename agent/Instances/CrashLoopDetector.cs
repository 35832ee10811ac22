namespace Baton.Agent.Instances;

/// <summary>N restarts within a sliding window means the instance is crash-looping.</summary>
internal sealed class CrashLoopDetector(int maxRestarts, TimeSpan window)
{
    private readonly Queue<DateTimeOffset> _restarts = new();

    /// <summary>Records a restart about to happen; true when that would exceed the limit.</summary>
    public bool RecordAndCheck(DateTimeOffset now)
    {
        while (_restarts.Count > 0 && now - _restarts.Peek() > window) _restarts.Dequeue();
        if (_restarts.Count >= maxRestarts) return true;
        _restarts.Enqueue(now);
        return false;
    }

    public void Reset() => _restarts.Clear();
}
