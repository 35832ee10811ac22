namespace Baton.Orchestrator.LoadReporting;

/// <summary>Load reports aggregated per app release: what the deploy engine's analysis and draining read.</summary>
public interface ILoadReports
{
    /// <summary>Totals over the last <paramref name="window"/>, and in-flight requests as last reported.</summary>
    ReleaseLoad Get(string app, string version, TimeSpan window);

    /// <summary>
    /// True when every data plane that reported on the release says nothing is in flight to it,
    /// each having reported after <paramref name="since"/> (so "idle" is known, not assumed).
    /// </summary>
    bool IsIdleSince(string app, string version, DateTimeOffset since);

    /// <summary>Asks data planes to report more often until the lease is disposed (while a release drains).</summary>
    IDisposable ReportFaster();
}
