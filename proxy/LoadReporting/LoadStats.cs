using System.Collections.Concurrent;

namespace Baton.Proxy.LoadReporting;

/// <summary>
/// The proxy's load counters, one <see cref="ClusterLoad"/> per cluster name, kept across config
/// updates so a cluster that leaves and comes back (or a request still in flight on a removed
/// cluster) is counted once and its in-progress gauge reaches zero.
/// </summary>
public sealed class LoadStats
{
    private readonly ConcurrentDictionary<string, ClusterLoad> _clusters = new(StringComparer.Ordinal);

    public ClusterLoad For(string clusterName) => _clusters.GetOrAdd(clusterName, static name => new ClusterLoad(name));

    public IReadOnlyCollection<ClusterLoad> All => (IReadOnlyCollection<ClusterLoad>)_clusters.Values;
}
