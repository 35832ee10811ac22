namespace Baton.Orchestrator.Xds;

/// <summary>
/// Decides, for one data plane, what of each type may be served right now so that nothing it holds ever
/// points at something it lacks:
/// <list type="bullet">
/// <item>a route version goes out only when every cluster it references that the client subscribes to
/// has been ACKed, together with that cluster's endpoints; until then the client keeps its old route;</item>
/// <item>a cluster (and then its endpoints) stays while any route the client holds or is being sent
/// references it; a route stays while a listener it holds references it;</item>
/// <item>endpoints that take no new requests go out, for a cluster the routes no longer reference, only once the
/// client can no longer route there (see <see cref="DeferWithdrawnEndpoints"/>).</item>
/// </list>
/// Additions thus flow CDS → EDS → (LDS) → RDS, withdrawals LDS → RDS → CDS → EDS, each gated on ACKs.
/// </summary>
internal static class MakeBeforeBreakPlanner
{
    /// <param name="Targets">What of each type may be served now.</param>
    /// <param name="Desired">What of each type the client asks for and the snapshot has (ignoring make-before-break).</param>
    public sealed record Plan(
        IReadOnlyDictionary<string, Dictionary<string, CachedResource>> Targets,
        IReadOnlyDictionary<string, Dictionary<string, CachedResource>> Desired);

    /// <remarks>
    /// Runs on every wake of every stream (three times per stream for one weight step), so it allocates only
    /// what it returns: held content is read in place, and a target equals its desired set unless something
    /// held must be kept (copy on write). Callers must not mutate the returned dictionaries.
    /// </remarks>
    public static Plan Compute(XdsSnapshot snapshot, NodeView view, IReadOnlyDictionary<string, TypeState> states)
    {
        var clusters = states[XdsTypeUrls.Cluster];
        var endpoints = states[XdsTypeUrls.Endpoint];
        var listeners = states[XdsTypeUrls.Listener];
        var routes = states[XdsTypeUrls.Route];

        var desired = new Dictionary<string, Dictionary<string, CachedResource>>(4);
        foreach (var typeUrl in XdsTypeUrls.PushOrder)
        {
            desired[typeUrl] = Desired(snapshot, view, states[typeUrl], typeUrl);
        }

        var listenerTarget = desired[XdsTypeUrls.Listener];
        var routesReferenced = new HashSet<string>(StringComparer.Ordinal);
        AddReferences(routesReferenced, listenerTarget);
        AddHeldReferences(routesReferenced, listeners);

        var routeTarget = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        foreach (var (name, route) in desired[XdsTypeUrls.Route])
        {
            if (IsWarm(route, clusters, endpoints))
            {
                routeTarget[name] = route;
            }
            else if (TryGetHeld(routes, name, out var previous))
            {
                routeTarget[name] = previous;
            }
        }
        KeepHeld(routeTarget, routes, name => !routeTarget.ContainsKey(name) && routesReferenced.Contains(name) && routes.Covers(name));

        var clustersReferenced = new HashSet<string>(StringComparer.Ordinal);
        AddReferences(clustersReferenced, routeTarget);
        AddHeldReferences(clustersReferenced, routes);
        var clusterTarget = KeepReferenced(desired[XdsTypeUrls.Cluster], clusters, clustersReferenced.Contains);

        bool ClusterPresent(string name) => clusterTarget.ContainsKey(name) || IsHeld(clusters, name);
        var endpointTarget = DeferWithdrawnEndpoints(
            KeepReferenced(desired[XdsTypeUrls.Endpoint], endpoints, ClusterPresent), desired[XdsTypeUrls.Route], routes, endpoints);

        return new Plan(
            new Dictionary<string, Dictionary<string, CachedResource>>(4)
            {
                [XdsTypeUrls.Cluster] = clusterTarget,
                [XdsTypeUrls.Endpoint] = endpointTarget,
                [XdsTypeUrls.Listener] = listenerTarget,
                [XdsTypeUrls.Route] = routeTarget,
            },
            desired);
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

    /// <summary>
    /// Endpoints that take no new requests (none, or all draining) withdraw their cluster as far as a gRPC client
    /// is concerned: it drops draining endpoints and fails every call it routes there ("priority policy has empty
    /// priority list"). Where the routes the client should follow no longer reference that cluster, those endpoints
    /// must come after the route change, like any withdrawal: while the client may still route to the cluster they
    /// wait, and it keeps the endpoints it holds (or, holding none here, is sent none). A cluster the desired routes
    /// still reference gets its endpoints as they are, empty or not: that is the truth about it.
    /// </summary>
    private static Dictionary<string, CachedResource> DeferWithdrawnEndpoints(
        Dictionary<string, CachedResource> target, Dictionary<string, CachedResource> desiredRoutes, TypeState routes, TypeState endpoints)
    {
        var result = target;
        foreach (var (name, resource) in target)
        {
            if (resource.TakesNewRequests || !MayStillRouteTo(name, desiredRoutes, routes))
            {
                continue;
            }
            var held = TryGetHeld(endpoints, name, out var heldResource) ? heldResource : null;
            if (ReferenceEquals(held, resource))
            {
                continue; // already sent: nothing to hold back
            }
            if (ReferenceEquals(result, target))
            {
                result = new Dictionary<string, CachedResource>(target, StringComparer.Ordinal);
            }
            if (held is not null)
            {
                result[name] = held;
            }
            else
            {
                result.Remove(name);
            }
        }
        return result;
    }

    /// <summary>
    /// Whether the client may still send calls to <paramref name="cluster"/>, which the routes it should follow
    /// do not reference: a route it ACKed references it, or it subscribes to a route whose content it holds is
    /// unknown here. The latter is a fresh stream after a reconnect (to this server or to one restarted): the
    /// client routes on what the previous stream gave it until it ACKs a route on this one.
    /// </summary>
    private static bool MayStillRouteTo(string cluster, Dictionary<string, CachedResource> desiredRoutes, TypeState routes)
    {
        if (!routes.Requested)
        {
            // Not following routes (yet): Envoy warms its clusters, endpoints included, before it asks for
            // listeners and routes, so holding endpoints back here would stall its start.
            return false;
        }
        foreach (var route in desiredRoutes.Values)
        {
            if (route.References.Contains(cluster))
            {
                return false; // not a withdrawal
            }
        }
        foreach (var name in desiredRoutes.Keys)
        {
            if (!routes.Acked.ContainsKey(name))
            {
                return true;
            }
        }
        foreach (var route in routes.Acked.Values)
        {
            if (route.References.Contains(cluster))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// <paramref name="desired"/> plus what the client holds that is still referenced and covered; copies
    /// <paramref name="desired"/> only when something must be added.
    /// </summary>
    private static Dictionary<string, CachedResource> KeepReferenced(
        Dictionary<string, CachedResource> desired, TypeState state, Func<string, bool> referenced)
    {
        var target = desired;
        ForEachHeld(state, (name, resource) =>
        {
            if (!target.ContainsKey(name) && referenced(name) && state.Covers(name))
            {
                if (ReferenceEquals(target, desired))
                {
                    target = new Dictionary<string, CachedResource>(desired, StringComparer.Ordinal);
                }
                target[name] = resource;
            }
        });
        return target;
    }

    private static void KeepHeld(Dictionary<string, CachedResource> target, TypeState state, Func<string, bool> keep) =>
        ForEachHeld(state, (name, resource) =>
        {
            if (keep(name))
            {
                target[name] = resource;
            }
        });

    /// <summary>
    /// Visits what the client holds once everything sent is accepted: its ACKed content overlaid by the in-flight
    /// response, walked in place instead of copied.
    /// </summary>
    private static void ForEachHeld(TypeState state, Action<string, CachedResource> visit)
    {
        var pending = state.Outstanding?.Upserts;
        foreach (var (name, resource) in state.Acked)
        {
            if (pending is null || !pending.ContainsKey(name))
            {
                visit(name, resource);
            }
        }
        if (pending is not null)
        {
            foreach (var (name, resource) in pending)
            {
                visit(name, resource);
            }
        }
    }

    private static bool TryGetHeld(TypeState state, string name, out CachedResource resource)
    {
        if (state.Outstanding?.Upserts is { } pending && pending.TryGetValue(name, out resource!))
        {
            return true;
        }
        return state.Acked.TryGetValue(name, out resource!);
    }

    private static bool IsHeld(TypeState state, string name) =>
        state.Acked.ContainsKey(name) || (state.Outstanding?.Upserts.ContainsKey(name) ?? false);

    private static void AddReferences(HashSet<string> names, Dictionary<string, CachedResource> resources)
    {
        foreach (var resource in resources.Values)
        {
            names.UnionWith(resource.References);
        }
    }

    private static void AddHeldReferences(HashSet<string> names, TypeState state) =>
        ForEachHeld(state, (_, resource) => names.UnionWith(resource.References));

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
