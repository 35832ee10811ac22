namespace Baton.Orchestrator.Xds;

/// <summary>
/// Decides, for one data plane, what of each type may be served right now so that nothing it holds ever
/// points at something it lacks:
/// <list type="bullet">
/// <item>a route version goes out only when every cluster it references that the client subscribes to
/// has been ACKed, together with that cluster's endpoints; until then the client keeps its old route;</item>
/// <item>a cluster (and then its endpoints) stays while any route the client holds or is being sent
/// references it; a route stays while a listener it holds references it.</item>
/// </list>
/// Additions thus flow CDS → EDS → (LDS) → RDS, withdrawals LDS → RDS → CDS → EDS, each gated on ACKs.
/// </summary>
internal static class MakeBeforeBreakPlanner
{
    public sealed record Plan(
        IReadOnlyDictionary<string, Dictionary<string, CachedResource>> Targets,
        IReadOnlyDictionary<string, HashSet<string>> DesiredNames);

    public static Plan Compute(XdsSnapshot snapshot, NodeView view, IReadOnlyDictionary<string, TypeState> states)
    {
        var clusters = states[XdsTypeUrls.Cluster];
        var endpoints = states[XdsTypeUrls.Endpoint];
        var listeners = states[XdsTypeUrls.Listener];
        var routes = states[XdsTypeUrls.Route];

        var desired = new Dictionary<string, Dictionary<string, CachedResource>>();
        foreach (var typeUrl in XdsTypeUrls.PushOrder)
        {
            desired[typeUrl] = Desired(snapshot, view, states[typeUrl], typeUrl);
        }

        var heldListeners = listeners.Held();
        var heldRoutes = routes.Held();
        var heldClusters = clusters.Held();
        var heldEndpoints = endpoints.Held();

        var listenerTarget = new Dictionary<string, CachedResource>(desired[XdsTypeUrls.Listener], StringComparer.Ordinal);
        var routesReferenced = ReferencesOf(listenerTarget.Values.Concat(heldListeners.Values));

        var routeTarget = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        foreach (var (name, route) in desired[XdsTypeUrls.Route])
        {
            if (IsWarm(route, clusters, endpoints))
            {
                routeTarget[name] = route;
            }
            else if (heldRoutes.TryGetValue(name, out var previous))
            {
                routeTarget[name] = previous;
            }
        }
        foreach (var (name, route) in heldRoutes)
        {
            if (!routeTarget.ContainsKey(name) && routesReferenced.Contains(name) && routes.Covers(name))
            {
                routeTarget[name] = route;
            }
        }

        var clustersReferenced = ReferencesOf(routeTarget.Values.Concat(heldRoutes.Values));
        var clusterTarget = new Dictionary<string, CachedResource>(desired[XdsTypeUrls.Cluster], StringComparer.Ordinal);
        KeepReferenced(clusterTarget, heldClusters, clustersReferenced, clusters);

        var clustersPresent = new HashSet<string>(clusterTarget.Keys.Concat(heldClusters.Keys), StringComparer.Ordinal);
        var endpointTarget = new Dictionary<string, CachedResource>(desired[XdsTypeUrls.Endpoint], StringComparer.Ordinal);
        KeepReferenced(endpointTarget, heldEndpoints, clustersPresent, endpoints);

        return new Plan(
            new Dictionary<string, Dictionary<string, CachedResource>>
            {
                [XdsTypeUrls.Cluster] = clusterTarget,
                [XdsTypeUrls.Endpoint] = endpointTarget,
                [XdsTypeUrls.Listener] = listenerTarget,
                [XdsTypeUrls.Route] = routeTarget,
            },
            desired.ToDictionary(p => p.Key, p => p.Value.Keys.ToHashSet(StringComparer.Ordinal)));
    }

    /// <summary>
    /// A cluster the client does not subscribe to cannot be pushed ahead of the route (a proxyless client
    /// only asks for clusters it has seen in a route), so only subscribed clusters gate the route.
    /// </summary>
    private static bool IsWarm(CachedResource route, TypeState clusters, TypeState endpoints)
    {
        foreach (var cluster in route.References)
        {
            if (!clusters.Covers(cluster))
            {
                continue;
            }
            if (!clusters.Acked.ContainsKey(cluster) || !endpoints.Acked.ContainsKey(cluster))
            {
                return false;
            }
        }
        return true;
    }

    private static void KeepReferenced(
        Dictionary<string, CachedResource> target,
        Dictionary<string, CachedResource> held,
        HashSet<string> referenced,
        TypeState state)
    {
        foreach (var (name, resource) in held)
        {
            if (!target.ContainsKey(name) && referenced.Contains(name) && state.Covers(name))
            {
                target[name] = resource;
            }
        }
    }

    private static HashSet<string> ReferencesOf(IEnumerable<CachedResource> resources)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            names.UnionWith(resource.References);
        }
        return names;
    }

    /// <summary>Walks the (few) resources of the viewed apps, never the subscription list, which may be huge.</summary>
    private static Dictionary<string, CachedResource> Desired(XdsSnapshot snapshot, NodeView view, TypeState state, string typeUrl)
    {
        var result = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        if (!state.Requested)
        {
            return result;
        }
        foreach (var (app, resources) in snapshot.Apps)
        {
            if (!view.Includes(app))
            {
                continue;
            }
            foreach (var resource in resources.Of(typeUrl).Values)
            {
                if (state.Wants(resource))
                {
                    result[resource.Name] = resource;
                }
            }
        }
        return result;
    }
}
