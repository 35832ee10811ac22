using System.Collections.Frozen;
using System.Globalization;
using Baton.Proxy.Configuration;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using EndpointHealth = Baton.Proxy.Configuration.EndpointHealth;

namespace Baton.Proxy.Xds;

/// <summary>
/// Turns the xDS resources the proxy holds into the <see cref="ProxyConfig"/> the data path obeys. Pure:
/// no I/O, no state. Whatever the proxy cannot obey exactly is an error (the response is NACKed) rather
/// than something approximated, because a silently different route is worse than a refused one.
/// </summary>
public static class ProxyConfigTranslator
{
    public const string HttpConnectionManagerTypeUrl =
        "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

    public const string RouterTypeUrl = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";

    /// <summary>Envoy's default when a cluster sets no connect_timeout.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <param name="resources">Everything held, with the response being judged already merged in.</param>
    /// <param name="previous">
    /// The config in force. A listener whose RDS route has not arrived yet keeps its previous form, as
    /// Envoy keeps the old listener while the new one warms; a listener never seen before waits unbound.
    /// </param>
    public static TranslationResult Translate(XdsResources resources, ProxyConfig? previous = null)
    {
        var errors = new List<string>();

        var routeTables = new Dictionary<string, RouteTable>(StringComparer.Ordinal);
        foreach (var (name, route) in resources.Routes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (TranslateRouteTable(name, route, $"route configuration '{name}'", errors) is { } table)
            {
                routeTables[name] = table;
            }
        }

        var routeNames = new HashSet<string>(StringComparer.Ordinal);
        var listeners = new List<ListenerConfig>();
        foreach (var (name, listener) in resources.Listeners.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (TranslateListener(name, listener, routeTables, routeNames, previous, errors) is { } translated)
            {
                listeners.Add(translated);
            }
        }
        CheckPortsAreDistinct(listeners, errors);

        var assignments = new Dictionary<string, IReadOnlyList<EndpointConfig>>(StringComparer.Ordinal);
        foreach (var (name, assignment) in resources.Endpoints.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (TranslateAssignment(name, assignment, errors) is { } endpoints)
            {
                assignments[name] = endpoints;
            }
        }

        var endpointNames = new HashSet<string>(StringComparer.Ordinal);
        var clusters = new Dictionary<string, ClusterConfig>(StringComparer.Ordinal);
        foreach (var (name, cluster) in resources.Clusters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (TranslateCluster(name, cluster, assignments, endpointNames, errors) is { } translated)
            {
                clusters[name] = translated;
            }
        }

        var config = errors.Count == 0 ? new ProxyConfig(listeners, clusters) : null;
        return new TranslationResult(config, errors, routeNames.ToFrozenSet(StringComparer.Ordinal), endpointNames.ToFrozenSet(StringComparer.Ordinal));
    }

    private static ListenerConfig? TranslateListener(
        string name, Listener listener, IReadOnlyDictionary<string, RouteTable> routeTables,
        HashSet<string> routeNames, ProxyConfig? previous, List<string> errors)
    {
        if (listener.ApiListener is not null)
        {
            return null; // proxyless gRPC clients' listener: nothing to bind
        }
        var where = $"listener '{name}'";
        if (listener.Address?.SocketAddress is not { } socket)
        {
            errors.Add($"{where}: has neither a socket address nor an api_listener");
            return null;
        }
        if (!TryReadSocketAddress(socket, where, errors, out var host, out var port))
        {
            return null;
        }
        if (listener.FilterChains.Count != 1)
        {
            errors.Add($"{where}: has {listener.FilterChains.Count} filter chains; the proxy supports exactly one");
            return null;
        }
        if (ReadConnectionManager(listener.FilterChains[0], where, errors) is not { } manager)
        {
            return null;
        }
        var codec = manager.CodecType switch
        {
            HttpConnectionManager.Types.CodecType.Auto => DownstreamCodec.Auto,
            HttpConnectionManager.Types.CodecType.Http1 => DownstreamCodec.Http1,
            HttpConnectionManager.Types.CodecType.Http2 => DownstreamCodec.Http2,
            _ => (DownstreamCodec?)null,
        };
        if (codec is null)
        {
            errors.Add($"{where}: codec_type {EnumName(HttpConnectionManager.Descriptor, "CodecType", (int)manager.CodecType)} is not supported (AUTO, HTTP1 or HTTP2)");
            return null;
        }
        if (!CheckHttpFilters(manager, where, errors))
        {
            return null;
        }
        var forwardedHeaders = new ForwardedHeadersConfig(manager.UseRemoteAddress ?? false, manager.XffNumTrustedHops, manager.SkipXffAppend);

        RouteTable? routes;
        switch (manager.RouteSpecifierCase)
        {
            case HttpConnectionManager.RouteSpecifierOneofCase.Rds:
                var routeName = manager.Rds.RouteConfigName;
                if (string.IsNullOrEmpty(routeName))
                {
                    errors.Add($"{where}: rds names no route_config_name");
                    return null;
                }
                routeNames.Add(routeName);
                if (!routeTables.TryGetValue(routeName, out routes))
                {
                    // Warming: the route has not arrived (or was refused); what is bound stays as it was.
                    return previous?.Listeners.FirstOrDefault(l => l.Name == name);
                }
                break;
            case HttpConnectionManager.RouteSpecifierOneofCase.RouteConfig:
                routes = TranslateRouteTable(manager.RouteConfig.Name, manager.RouteConfig, $"{where}: inline route_config", errors);
                if (routes is null) return null;
                break;
            default:
                errors.Add($"{where}: the http connection manager has neither rds nor route_config (scoped routes are not supported)");
                return null;
        }
        return new ListenerConfig(name, host, port, codec.Value, routes, forwardedHeaders);
    }

    private static HttpConnectionManager? ReadConnectionManager(FilterChain chain, string where, List<string> errors)
    {
        HttpConnectionManager? manager = null;
        foreach (var filter in chain.Filters)
        {
            if (filter.TypedConfig?.TypeUrl != HttpConnectionManagerTypeUrl)
            {
                errors.Add($"{where}: network filter '{filter.Name}' ({filter.TypedConfig?.TypeUrl ?? "no typed_config"}) is not supported; only the http connection manager is");
                return null;
            }
            if (manager is not null)
            {
                errors.Add($"{where}: has more than one http connection manager");
                return null;
            }
            try
            {
                manager = HttpConnectionManager.Parser.ParseFrom(filter.TypedConfig.Value);
            }
            catch (InvalidProtocolBufferException e)
            {
                errors.Add($"{where}: the http connection manager cannot be decoded: {e.Message}");
                return null;
            }
        }
        if (manager is null)
        {
            errors.Add($"{where}: has no http connection manager");
        }
        return manager;
    }

    /// <summary>The proxy forwards and nothing else: the router may be the only required HTTP filter, and must come last.</summary>
    private static bool CheckHttpFilters(HttpConnectionManager manager, string where, List<string> errors)
    {
        for (var i = 0; i < manager.HttpFilters.Count; i++)
        {
            var filter = manager.HttpFilters[i];
            var isRouter = filter.TypedConfig?.TypeUrl == RouterTypeUrl;
            if (isRouter && i != manager.HttpFilters.Count - 1)
            {
                errors.Add($"{where}: the router filter must be the last http filter");
                return false;
            }
            if (!isRouter && !filter.IsOptional)
            {
                errors.Add($"{where}: http filter '{filter.Name}' ({filter.TypedConfig?.TypeUrl ?? "no typed_config"}) is not supported; only the router is");
                return false;
            }
        }
        return true;
    }

    private static RouteTable? TranslateRouteTable(string name, RouteConfiguration configuration, string where, List<string> errors)
    {
        var errorsBefore = errors.Count;
        var virtualHosts = new List<VirtualHostConfig>();
        foreach (var virtualHost in configuration.VirtualHosts)
        {
            var hostWhere = $"{where}: virtual host '{virtualHost.Name}'";
            if (virtualHost.Domains.Count == 0)
            {
                errors.Add($"{hostWhere}: has no domains");
                continue;
            }
            var routes = new List<RouteConfig>();
            for (var i = 0; i < virtualHost.Routes.Count; i++)
            {
                var route = virtualHost.Routes[i];
                var routeWhere = $"{hostWhere}: route '{(string.IsNullOrEmpty(route.Name) ? "#" + i.ToString(CultureInfo.InvariantCulture) : route.Name)}'";
                if (TranslateRoute(route, virtualHost.RetryPolicy, routeWhere, errors) is { } translated)
                {
                    routes.Add(translated);
                }
            }
            virtualHosts.Add(new VirtualHostConfig(virtualHost.Name, virtualHost.Domains.ToList(), routes));
        }
        return errors.Count == errorsBefore ? new RouteTable(name, virtualHosts) : null;
    }

    private static RouteConfig? TranslateRoute(Route route, RetryPolicy? virtualHostRetry, string where, List<string> errors)
    {
        if (route.Match is not { } match)
        {
            errors.Add($"{where}: has no match");
            return null;
        }
        string prefix;
        string? path = null;
        switch (match.PathSpecifierCase)
        {
            case RouteMatch.PathSpecifierOneofCase.Prefix:
                prefix = match.Prefix;
                break;
            case RouteMatch.PathSpecifierOneofCase.Path:
                prefix = "";
                path = match.Path;
                break;
            default:
                errors.Add($"{where}: match is neither prefix nor path (safe_regex and other matchers are not supported)");
                return null;
        }
        if (match.CaseSensitive == false)
        {
            errors.Add($"{where}: case-insensitive matching is not supported");
            return null;
        }
        if (route.ActionCase != Route.ActionOneofCase.Route_)
        {
            errors.Add($"{where}: only route actions are supported (no redirect or direct_response)");
            return null;
        }
        var action = route.Route_;
        List<WeightedClusterChoice> clusters;
        switch (action.ClusterSpecifierCase)
        {
            case RouteAction.ClusterSpecifierOneofCase.Cluster:
                if (string.IsNullOrEmpty(action.Cluster))
                {
                    errors.Add($"{where}: names an empty cluster");
                    return null;
                }
                clusters = [new WeightedClusterChoice(action.Cluster, 1)];
                break;
            case RouteAction.ClusterSpecifierOneofCase.WeightedClusters:
                clusters = action.WeightedClusters.Clusters.Select(c => new WeightedClusterChoice(c.Name, c.Weight ?? 0)).ToList();
                if (clusters.Any(c => string.IsNullOrEmpty(c.ClusterName)))
                {
                    errors.Add($"{where}: weighted_clusters has an entry without a cluster name");
                    return null;
                }
                if (clusters.Sum(c => (long)c.Weight) == 0)
                {
                    errors.Add($"{where}: weighted_clusters has no positive weight");
                    return null;
                }
                break;
            default:
                errors.Add($"{where}: the route action names neither a cluster nor weighted_clusters (cluster_header and others are not supported)");
                return null;
        }
        TimeSpan? timeout = action.Timeout is { } t ? t.ToTimeSpan() : null;
        if (timeout < TimeSpan.Zero)
        {
            errors.Add($"{where}: timeout is negative");
            return null;
        }
        // A route's retry policy replaces its virtual host's; Envoy retries once when num_retries is unset.
        var retryPolicy = action.RetryPolicy ?? virtualHostRetry;
        var retry = retryPolicy is null ? null : new RetryConfig(ReadRetryOn(retryPolicy.RetryOn), retryPolicy.NumRetries ?? 1);
        return new RouteConfig(route.Name, prefix, path, clusters, timeout, retry);
    }

    /// <summary>
    /// The conditions of a comma-separated retry_on that the proxy obeys, as Envoy reads them: its
    /// <c>reset</c> covers every failure without an answer (a connection that did not open, a refused
    /// stream), so do <c>5xx</c> and <c>gateway-error</c> besides their status codes, and
    /// <c>reset-before-request</c> covers a connection that never opened. Whatever else a policy names
    /// (status codes, gRPC statuses, headers) is left out rather than refused: Envoy itself ignores names
    /// it does not know, and a route refused for its retry policy would serve no request at all, where a
    /// retry not made only passes the upstream's own answer on.
    /// </summary>
    internal static RetryConditions ReadRetryOn(string retryOn)
    {
        const RetryConditions NoAnswer = RetryConditions.ConnectFailure | RetryConditions.Reset | RetryConditions.RefusedStream;
        var conditions = RetryConditions.None;
        foreach (var name in retryOn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            conditions |= name switch
            {
                "connect-failure" or "reset-before-request" => RetryConditions.ConnectFailure,
                "refused-stream" => RetryConditions.RefusedStream,
                "reset" or "5xx" or "gateway-error" => NoAnswer,
                _ => RetryConditions.None,
            };
        }
        return conditions;
    }

    private static ClusterConfig? TranslateCluster(
        string name, Cluster cluster, IReadOnlyDictionary<string, IReadOnlyList<EndpointConfig>> assignments,
        HashSet<string> endpointNames, List<string> errors)
    {
        var where = $"cluster '{name}'";
        if (cluster.ClusterDiscoveryTypeCase != Cluster.ClusterDiscoveryTypeOneofCase.Type)
        {
            errors.Add($"{where}: cluster_type extensions are not supported (only type EDS)");
            return null;
        }
        if (cluster.Type != Cluster.Types.DiscoveryType.Eds)
        {
            errors.Add($"{where}: type {EnumName(Cluster.Descriptor, "DiscoveryType", (int)cluster.Type)} is not supported (only EDS)");
            return null;
        }
        var edsSource = cluster.EdsClusterConfig?.EdsConfig;
        if (edsSource is not null && edsSource.ConfigSourceSpecifierCase is not (ConfigSource.ConfigSourceSpecifierOneofCase.Ads or ConfigSource.ConfigSourceSpecifierOneofCase.Self))
        {
            errors.Add($"{where}: eds_config must be ads or self (the proxy only speaks ADS to its one server)");
            return null;
        }
        var policy = cluster.LbPolicy switch
        {
            Cluster.Types.LbPolicy.RoundRobin => LoadBalancingPolicy.RoundRobin,
            Cluster.Types.LbPolicy.LeastRequest => LoadBalancingPolicy.LeastRequest,
            _ => (LoadBalancingPolicy?)null,
        };
        if (policy is null)
        {
            errors.Add($"{where}: lb_policy {EnumName(Cluster.Descriptor, "LbPolicy", (int)cluster.LbPolicy)} is not supported (ROUND_ROBIN or LEAST_REQUEST)");
            return null;
        }
        var connectTimeout = cluster.ConnectTimeout?.ToTimeSpan() ?? DefaultConnectTimeout;
        if (connectTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{where}: connect_timeout must be positive");
            return null;
        }
        var upstream = UpstreamProtocol.Http1;
        foreach (var (extension, options) in cluster.TypedExtensionProtocolOptions)
        {
            if (extension != HttpProtocolOptionsReader.ExtensionName || options.TypeUrl != HttpProtocolOptionsReader.TypeUrl)
            {
                errors.Add($"{where}: protocol options '{extension}' ({options.TypeUrl}) are not supported");
                return null;
            }
            if (!HttpProtocolOptionsReader.TryRead(options.Value, out upstream, out var optionsError))
            {
                errors.Add($"{where}: {HttpProtocolOptionsReader.ExtensionName} {optionsError}");
                return null;
            }
        }
        var reportsLoad = false;
        if (cluster.LrsServer is { } lrs)
        {
            if (lrs.ConfigSourceSpecifierCase != ConfigSource.ConfigSourceSpecifierOneofCase.Self)
            {
                errors.Add($"{where}: lrs_server must be self (load is reported to the xDS server only)");
                return null;
            }
            reportsLoad = true;
        }
        var serviceName = string.IsNullOrEmpty(cluster.EdsClusterConfig?.ServiceName) ? name : cluster.EdsClusterConfig.ServiceName;
        endpointNames.Add(serviceName);
        // Until its assignment arrives the cluster has no endpoints (a request to it gets a 503, as in Envoy).
        var endpoints = assignments.TryGetValue(serviceName, out var assigned) ? assigned : [];
        return new ClusterConfig(name, policy.Value, connectTimeout, upstream, reportsLoad, endpoints);
    }

    private static IReadOnlyList<EndpointConfig>? TranslateAssignment(string name, ClusterLoadAssignment assignment, List<string> errors)
    {
        var where = $"cluster load assignment '{name}'";
        var errorsBefore = errors.Count;
        var endpoints = new List<EndpointConfig>();
        foreach (var locality in assignment.Endpoints)
        {
            if (locality.Priority != 0)
            {
                // Priorities are failover tiers; flattening them would send traffic to standby endpoints.
                errors.Add($"{where}: priority {locality.Priority} is not supported (only 0)");
                continue;
            }
            foreach (var lbEndpoint in locality.LbEndpoints)
            {
                if (lbEndpoint.Endpoint?.Address?.SocketAddress is not { } socket)
                {
                    errors.Add($"{where}: an endpoint has no socket address");
                    continue;
                }
                if (!TryReadSocketAddress(socket, where, errors, out var host, out var port))
                {
                    continue;
                }
                var weight = lbEndpoint.LoadBalancingWeight ?? 1;
                if (weight == 0)
                {
                    errors.Add($"{where}: endpoint {host}:{port} has load_balancing_weight 0 (must be at least 1)");
                    continue;
                }
                var health = lbEndpoint.HealthStatus switch
                {
                    HealthStatus.Unknown or HealthStatus.Healthy => EndpointHealth.Healthy,
                    HealthStatus.Draining => EndpointHealth.Draining,
                    _ => EndpointHealth.Unhealthy,
                };
                endpoints.Add(new EndpointConfig(host, port, health, weight));
            }
        }
        return errors.Count == errorsBefore ? endpoints : null;
    }

    private static bool TryReadSocketAddress(SocketAddress socket, string where, List<string> errors, out string host, out int port)
    {
        host = socket.Address;
        port = 0;
        if (socket.Protocol != SocketAddress.Types.Protocol.Tcp)
        {
            errors.Add($"{where}: socket address {socket.Address} is not TCP");
            return false;
        }
        if (string.IsNullOrEmpty(socket.Address))
        {
            errors.Add($"{where}: socket address has no address");
            return false;
        }
        if (socket.PortSpecifierCase != SocketAddress.PortSpecifierOneofCase.PortValue || socket.PortValue is 0 or > 65535)
        {
            errors.Add($"{where}: socket address {socket.Address} has no port_value between 1 and 65535 (named ports are not supported)");
            return false;
        }
        port = (int)socket.PortValue;
        return true;
    }

    private static void CheckPortsAreDistinct(List<ListenerConfig> listeners, List<string> errors)
    {
        foreach (var group in listeners.GroupBy(l => l.Port).Where(g => g.Count() > 1))
        {
            errors.Add($"listeners {string.Join(", ", group.Select(l => $"'{l.Name}'"))} all bind port {group.Key}");
        }
    }

    /// <summary>An enum value as upstream spells it (MAGLEV, not Maglev), from the generated descriptors.</summary>
    private static string EnumName(MessageDescriptor message, string enumName, int number) =>
        message.EnumTypes.FirstOrDefault(e => e.Name == enumName)?.FindValueByNumber(number)?.Name
        ?? number.ToString(CultureInfo.InvariantCulture);
}
