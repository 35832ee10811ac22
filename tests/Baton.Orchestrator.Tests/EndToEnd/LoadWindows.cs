using Baton.Orchestrator.Tests.Conformance;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// The <see cref="LoadWindow"/>s open on one load (<see cref="HttpLoad"/>, <see cref="GrpcLoad"/>): every
/// call a worker starts through <see cref="CountAsync"/> joins each window still wanting calls, and leaves
/// it with its outcome when it ends. Thread-safe.
/// </summary>
internal sealed class LoadWindows
{
    /// <summary>Only stops a hang of a window given no time limit.</summary>
    private static readonly TimeSpan WindowLimit = TimeSpan.FromSeconds(60);

    private readonly object _lock = new();
    private readonly List<LoadWindow> _open = [];
    private readonly TimeSpan _callLimit;

    /// <param name="callLimit">The longest one call can take; a window waits that long (and a little) for its last ones.</param>
    public LoadWindows(TimeSpan callLimit)
    {
        _callLimit = callLimit;
    }

    /// <summary>
    /// The next <paramref name="calls"/> calls started from now (with <paramref name="maxMilliseconds"/>:
    /// only those started within that time), once they have all finished.
    /// </summary>
    public async Task<ClientTally> WindowAsync(int calls, int? maxMilliseconds = null)
    {
        var window = new LoadWindow(calls);
        lock (_lock) _open.Add(window);
        var limit = maxMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : WindowLimit;
        var full = await Task.WhenAny(window.Full, Task.Delay(limit)) == window.Full;
        string progress;
        lock (_lock)
        {
            window.Close();
            _open.Remove(window);
            progress = window.Progress();
        }
        if (!full && maxMilliseconds is null) throw new TimeoutException($"a window of {calls} calls did not fill within {WindowLimit.TotalSeconds:0} s: {progress}");
        return await window.Finished.WaitAsync(_callLimit + TimeSpan.FromSeconds(5));
    }

    /// <summary>Runs one call as a member of every window that still wants calls, and returns its outcome.</summary>
    public async Task<HttpOutcome> CountAsync(Func<Task<HttpOutcome>> call)
    {
        List<LoadWindow> members;
        lock (_lock)
        {
            members = _open.Where(w => w.WantsCalls).ToList();
            foreach (var window in members) window.Join();
        }
        var outcome = await call();
        lock (_lock)
        {
            foreach (var window in members) window.Leave(outcome);
        }
        return outcome;
    }
}
