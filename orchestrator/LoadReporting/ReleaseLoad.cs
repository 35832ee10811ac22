namespace Baton.Orchestrator.LoadReporting;

/// <summary>
/// What the data planes reported about one release over a window: requests they sent to it,
/// how those ended, and how many are in flight right now.
/// </summary>
/// <param name="Issued">Requests sent to the release within the window.</param>
/// <param name="Succeeded">Requests that completed successfully within the window.</param>
/// <param name="Errors">Requests that failed within the window.</param>
/// <param name="InFlight">Sum over data planes of the requests in progress at their latest report.</param>
/// <param name="Reporters">Data planes whose latest report for this release falls within the window.</param>
/// <param name="LastReportAt">When the newest report arrived, or null if none did.</param>
public sealed record ReleaseLoad(
    ulong Issued,
    ulong Succeeded,
    ulong Errors,
    ulong InFlight,
    int Reporters,
    DateTimeOffset? LastReportAt)
{
    public static readonly ReleaseLoad None = new(0, 0, 0, 0, 0, null);

    /// <summary>Errors over finished requests (0 when nothing finished).</summary>
    public double ErrorRate => Succeeded + Errors == 0 ? 0 : (double)Errors / (Succeeded + Errors);
}
