using Baton.Orchestrator.Xds;
using Envoy.Config.Route.V3;

namespace Baton.Orchestrator.Tests.Support;

/// <summary>Replays a data plane's log and lists every moment it held a route to a cluster it lacked.</summary>
internal static class MakeBeforeBreakLog
{
    public static List<string> Violations(IReadOnlyList<ReceivedResponse> log)
    {
        var violations = new List<string>();
        var clusters = new HashSet<string>();
        var endpoints = new HashSet<string>();
        var routed = new HashSet<string>();
        foreach (var entry in log)
        {
            switch (entry.TypeUrl)
            {
                case XdsTypeUrls.Cluster:
                    var now = entry.Resources.Keys.ToHashSet();
                    foreach (var dropped in clusters.Where(c => !now.Contains(c) && routed.Contains(c)))
                    {
                        violations.Add($"#{entry.Sequence}: cluster {dropped} withdrawn while the held route still sends traffic to it");
                    }
                    clusters = now;
                    break;
                case XdsTypeUrls.Endpoint:
                    endpoints.UnionWith(entry.Resources.Keys);
                    break;
                case XdsTypeUrls.Route:
                    routed = ClustersOf(entry).ToHashSet();
                    foreach (var cluster in routed.Where(c => !clusters.Contains(c) || !endpoints.Contains(c)))
                    {
                        violations.Add($"#{entry.Sequence}: route references {cluster} before its cluster and endpoints arrived");
                    }
                    break;
            }
        }
        return violations;
    }

    public static IEnumerable<string> ClustersOf(ReceivedResponse routeResponse) =>
        routeResponse.Resources.Values.Cast<RouteConfiguration>()
            .SelectMany(r => r.VirtualHosts).SelectMany(v => v.Routes)
            .SelectMany(r => r.Route_.WeightedClusters.Clusters).Select(c => c.Name);
}
