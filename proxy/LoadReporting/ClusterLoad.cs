namespace Baton.Proxy.LoadReporting;

/// <summary>
/// One cluster's request counters, written by the data path on every request and read by the LRS
/// reporter. Issued, succeeded and errored are totals since start (the reporter sends differences);
/// in progress is a gauge.
/// </summary>
public sealed class ClusterLoad(string clusterName)
{
    private long _issued;
    private long _succeeded;
    private long _errored;
    private long _inProgress;

    public string ClusterName { get; } = clusterName;

    /// <summary>A request was sent to one of the cluster's endpoints (retries count again).</summary>
    public void Started()
    {
        Interlocked.Increment(ref _issued);
        Interlocked.Increment(ref _inProgress);
    }

    /// <summary>
    /// The request ended. An error is what Envoy counts as one: a 5xx answer, a gRPC status that
    /// means the server failed, or no answer at all (connect failure, reset, timeout).
    /// </summary>
    public void Completed(bool error)
    {
        Interlocked.Increment(ref error ? ref _errored : ref _succeeded);
        Interlocked.Decrement(ref _inProgress);
    }

    public ClusterLoadTotals Read() => new(
        (ulong)Interlocked.Read(ref _issued),
        (ulong)Interlocked.Read(ref _succeeded),
        (ulong)Interlocked.Read(ref _errored),
        (ulong)Math.Max(0, Interlocked.Read(ref _inProgress)));
}

/// <summary>A cluster's counters at one moment.</summary>
public readonly record struct ClusterLoadTotals(ulong Issued, ulong Succeeded, ulong Errored, ulong InProgress);
