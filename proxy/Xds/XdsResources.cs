using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;

namespace Baton.Proxy.Xds;

/// <summary>
/// The decoded xDS resources the proxy holds, each type keyed by resource name (a
/// ClusterLoadAssignment by its cluster_name, which is the EDS service name it answers).
/// </summary>
public sealed record XdsResources(
    IReadOnlyDictionary<string, Listener> Listeners,
    IReadOnlyDictionary<string, RouteConfiguration> Routes,
    IReadOnlyDictionary<string, Cluster> Clusters,
    IReadOnlyDictionary<string, ClusterLoadAssignment> Endpoints)
{
    public static XdsResources Empty { get; } = new(
        new Dictionary<string, Listener>(StringComparer.Ordinal),
        new Dictionary<string, RouteConfiguration>(StringComparer.Ordinal),
        new Dictionary<string, Cluster>(StringComparer.Ordinal),
        new Dictionary<string, ClusterLoadAssignment>(StringComparer.Ordinal));
}
