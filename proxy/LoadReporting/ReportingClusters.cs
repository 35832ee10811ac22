using System.Collections.Frozen;

namespace Baton.Proxy.LoadReporting;

/// <summary>
/// The clusters of the config in force whose lrs_server is set: the ones the LRS client reports on.
/// Replaced whole by the ADS client each time a config is applied; read by the LRS client at each report.
/// </summary>
public sealed class ReportingClusters
{
    private volatile FrozenSet<string> _names = FrozenSet<string>.Empty;

    public IReadOnlySet<string> Current => _names;

    public void Replace(IEnumerable<string> clusterNames) => _names = clusterNames.ToFrozenSet(StringComparer.Ordinal);
}
