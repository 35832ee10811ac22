using Envoy.Service.LoadStats.V3;

namespace Baton.Proxy.LoadReporting;

/// <summary>What the LRS server last asked for: every cluster or the listed ones, at this interval.</summary>
public sealed record LoadReportInstructions(bool SendAllClusters, IReadOnlySet<string> Clusters, TimeSpan Interval)
{
    /// <summary>A floor on the interval, so a server asking for 0 does not turn the reporter into a busy loop.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(10);

    public static LoadReportInstructions From(LoadStatsResponse response)
    {
        var interval = response.LoadReportingInterval?.ToTimeSpan() ?? TimeSpan.Zero;
        return new LoadReportInstructions(
            response.SendAllClusters,
            response.Clusters.ToHashSet(StringComparer.Ordinal),
            interval < MinimumInterval ? MinimumInterval : interval);
    }
}
