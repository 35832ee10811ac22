namespace Baton.Orchestrator.LoadReporting;

/// <summary>
/// How often data planes are asked to report. Normally every <see cref="LoadReportingOptions.ReportInterval"/>;
/// while something waits on fresh reports (a release draining), every
/// <see cref="LoadReportingOptions.FastReportInterval"/>, so "no request in flight" is known in
/// a fraction of the time. LRS lets the server change the interval on an open stream at any moment.
/// </summary>
public sealed class LoadReportCadence(LoadReportingOptions options)
{
    private readonly object _lock = new();
    private int _fastLeases;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimeSpan Interval
    {
        get
        {
            lock (_lock) return _fastLeases > 0 ? options.FastReportInterval : options.ReportInterval;
        }
    }

    /// <summary>Completes at the next change of <see cref="Interval"/>.</summary>
    public Task Changed
    {
        get
        {
            lock (_lock) return _changed.Task;
        }
    }

    /// <summary>Fast reports until the returned lease is disposed (leases from several drains overlap).</summary>
    public IDisposable ReportFaster()
    {
        lock (_lock)
        {
            if (++_fastLeases == 1) SignalLocked();
        }
        return new Lease(this);
    }

    private void Release()
    {
        lock (_lock)
        {
            if (--_fastLeases == 0) SignalLocked();
        }
    }

    private void SignalLocked()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.SetResult();
    }

    private sealed class Lease(LoadReportCadence cadence) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) cadence.Release();
        }
    }
}
