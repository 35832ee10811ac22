using System.Collections.Concurrent;

namespace Baton.Orchestrator.LoadReporting;

/// <summary>
/// Keeps each data plane's load reports per release for a bounded time and answers window
/// queries. Reports are deltas (requests since the previous report), so a window's totals are
/// the sum of the reports that arrived in it; in-flight counts are gauges, so only each data
/// plane's latest value counts.
/// </summary>
public sealed class LoadReportStore(TimeProvider time, LoadReportingOptions options, LoadReportCadence cadence) : ILoadReports
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastReportAt = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<(string App, string Version), ReleaseReports> _releases = new();

    /// <summary>Records one data plane's report for one release.</summary>
    public void Record(string nodeId, string app, string version, ulong issued, ulong succeeded, ulong errors, ulong inFlight)
    {
        var now = time.GetUtcNow();
        var reports = _releases.GetOrAdd((app, version), _ => new ReleaseReports());
        lock (reports)
        {
            reports.Samples.Enqueue(new Sample(now, nodeId, issued, succeeded, errors));
            reports.Latest[nodeId] = new Gauge(now, inFlight);
            Trim(reports, now);
        }
    }

    /// <summary>A data plane sent a report (about whichever clusters): what it left out had no load since its last one.</summary>
    public void Reported(string nodeId) => _lastReportAt[nodeId] = time.GetUtcNow();

    public IDisposable ReportFaster() => cadence.ReportFaster();

    /// <summary>A data plane went away: its in-flight gauge no longer says anything.</summary>
    public void Forget(string nodeId)
    {
        _lastReportAt.TryRemove(nodeId, out _);
        foreach (var reports in _releases.Values)
            lock (reports) reports.Latest.Remove(nodeId);
    }

    public ReleaseLoad Get(string app, string version, TimeSpan window)
    {
        if (!_releases.TryGetValue((app, version), out var reports)) return ReleaseLoad.None;
        var now = time.GetUtcNow();
        var from = now - window;
        lock (reports)
        {
            Trim(reports, now);
            ulong issued = 0, succeeded = 0, errors = 0;
            DateTimeOffset? last = null;
            foreach (var s in reports.Samples)
            {
                if (s.At < from) continue;
                issued += s.Issued;
                succeeded += s.Succeeded;
                errors += s.Errors;
                last = s.At;
            }
            var current = reports.Latest.Values.Where(g => g.At >= from).ToList();
            return new ReleaseLoad(issued, succeeded, errors, (ulong)current.Sum(g => (decimal)g.InFlight), current.Count, last);
        }
    }

    /// <remarks>
    /// A data plane may leave out of a report a cluster that saw no call start or finish in the
    /// interval (gRPC does, even with calls in flight), so silence about a release means "in flight
    /// unchanged", not "idle". The release is idle when every data plane that ever reported on it
    /// last said 0 in flight and has reported (about anything) since the moment.
    /// </remarks>
    public bool IsIdleSince(string app, string version, DateTimeOffset since)
    {
        if (!_releases.TryGetValue((app, version), out var reports)) return false;
        lock (reports)
        {
            if (reports.Latest.Count == 0) return false;
            foreach (var (reporter, gauge) in reports.Latest)
            {
                if (gauge.InFlight > 0) return false;
                var spokeSince = gauge.At > since || (_lastReportAt.TryGetValue(reporter, out var last) && last > since);
                if (!spokeSince) return false; // could have started calls after its last word: wait for its next
            }
            return true;
        }
    }

    private void Trim(ReleaseReports reports, DateTimeOffset now)
    {
        var oldest = now - options.Retention;
        while (reports.Samples.TryPeek(out var s) && s.At < oldest) reports.Samples.Dequeue();
    }

    private sealed class ReleaseReports
    {
        public Queue<Sample> Samples { get; } = new();
        public Dictionary<string, Gauge> Latest { get; } = new(StringComparer.Ordinal);
    }

    private readonly record struct Sample(DateTimeOffset At, string NodeId, ulong Issued, ulong Succeeded, ulong Errors);

    private readonly record struct Gauge(DateTimeOffset At, ulong InFlight);
}
