using Baton.Proxy.Configuration;
using Baton.Proxy.Tests.Support;
using Baton.Proxy.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using EndpointHealth = Baton.Proxy.Configuration.EndpointHealth;
using Route = Envoy.Config.Route.V3.Route;

namespace Baton.Proxy.Tests.Xds;

public sealed class ProxyConfigTranslatorTests
{
    private static XdsResources Web() => Routing.Served(
        Routing.Http("web", 18080, Routing.Release("v1", 80, 21001, -21002), Routing.Release("v2", 20, 21003)));

    private static ProxyConfig Translated(XdsResources resources, ProxyConfig? previous = null)
    {
        var result = ProxyConfigTranslator.Translate(resources, previous);
        Assert.Empty(result.Errors);
        return result.Config!;
    }

    private static string SingleError(XdsResources resources)
    {
        var result = ProxyConfigTranslator.Translate(resources);
        Assert.Null(result.Config);
        return Assert.Single(result.Errors);
    }

    private static HttpConnectionManager ManagerOf(Listener listener) =>
        HttpConnectionManager.Parser.ParseFrom(listener.FilterChains[0].Filters[0].TypedConfig.Value);

    private static void SetManager(Listener listener, HttpConnectionManager manager) =>
        listener.FilterChains[0].Filters[0].TypedConfig = Any.Pack(manager);

    private static Route OnlyRoute(XdsResources resources) => resources.Routes["web/routes"].VirtualHosts[0].Routes[0];

    [Fact]
    public void What_the_orchestrator_serves_for_an_http_app_becomes_a_listener_with_its_routes_and_clusters()
    {
        var config = Translated(Web());

        var listener = Assert.Single(config.Listeners);
        Assert.Equal(("web/listener", "0.0.0.0", 18080, DownstreamCodec.Auto), (listener.Name, listener.Host, listener.Port, listener.Codec));
        // The public listener is the edge: the app hears of the client's address.
        Assert.Equal(new ForwardedHeadersConfig(UseRemoteAddress: true, XffNumTrustedHops: 0, SkipXffAppend: false), listener.ForwardedHeaders);
        Assert.Equal("web/routes", listener.Routes.Name);
        var virtualHost = Assert.Single(listener.Routes.VirtualHosts);
        Assert.Equal(["*"], virtualHost.Domains);
        var route = Assert.Single(virtualHost.Routes);
        Assert.Equal(("/", null), (route.Prefix, route.Path));
        Assert.Equal([new WeightedClusterChoice("web/v1", 80), new WeightedClusterChoice("web/v2", 20)], route.Clusters);
        Assert.Null(route.Timeout);
        Assert.Null(route.Retry);

        Assert.Equal(["web/v1", "web/v2"], config.Clusters.Keys.Order());
        var v1 = config.Clusters["web/v1"];
        Assert.Equal((LoadBalancingPolicy.RoundRobin, TimeSpan.FromSeconds(5), UpstreamProtocol.Http1, true),
            (v1.LoadBalancing, v1.ConnectTimeout, v1.Upstream, v1.ReportsLoad));
        Assert.Equal(
            [new EndpointConfig("127.0.0.1", 21001, EndpointHealth.Healthy, 1), new EndpointConfig("127.0.0.1", 21002, EndpointHealth.Draining, 1)],
            v1.Endpoints);
    }

    [Fact]
    public void The_names_to_subscribe_are_the_listeners_routes_and_the_clusters_service_names()
    {
        var resources = Web();
        resources.Clusters["web/v2"].EdsClusterConfig.ServiceName = "web/v2-endpoints";

        var result = ProxyConfigTranslator.Translate(resources);

        Assert.Equal(["web/routes"], result.RouteNames);
        Assert.Equal(["web/v1", "web/v2-endpoints"], result.EndpointNames.Order());
        Assert.Empty(result.Config!.Clusters["web/v2"].Endpoints); // its assignment is still under the old name
    }

    [Fact]
    public void A_grpc_app_gets_http2_upstream_and_its_api_listener_is_ignored()
    {
        var config = Translated(Routing.Served(Routing.Grpc("greeter", 18090, Routing.Release("v1", 100, 21010))));

        Assert.Equal("greeter/listener", Assert.Single(config.Listeners).Name);
        Assert.Equal(UpstreamProtocol.Http2, config.Clusters["greeter/v1"].Upstream);
    }

    [Fact]
    public void A_grpc_app_without_public_port_binds_nothing()
    {
        var config = Translated(Routing.Served(Routing.Grpc("greeter", null, Routing.Release("v1", 100, 21010))));

        Assert.Empty(config.Listeners);
        Assert.Single(config.Clusters);
    }

    [Fact]
    public void A_listener_waits_unbound_for_its_first_route_and_keeps_its_previous_form_while_a_new_one_warms()
    {
        var resources = Web();
        var withoutRoute = resources with { Routes = new Dictionary<string, RouteConfiguration>() };

        var first = ProxyConfigTranslator.Translate(withoutRoute);
        Assert.Empty(first.Config!.Listeners);
        Assert.Equal(["web/routes"], first.RouteNames);

        var previous = Translated(resources);
        var manager = ManagerOf(resources.Listeners["web/listener"]);
        manager.Rds.RouteConfigName = "web/routes-next";
        SetManager(resources.Listeners["web/listener"], manager);

        var warming = Translated(resources, previous);
        Assert.Same(previous.Listeners[0], Assert.Single(warming.Listeners));
    }

    [Fact]
    public void An_inline_route_config_is_used_as_is()
    {
        var resources = Web();
        var manager = ManagerOf(resources.Listeners["web/listener"]);
        manager.RouteConfig = resources.Routes["web/routes"];
        SetManager(resources.Listeners["web/listener"], manager);

        var result = ProxyConfigTranslator.Translate(resources with { Routes = new Dictionary<string, RouteConfiguration>() });

        Assert.Empty(result.RouteNames);
        Assert.Equal(2, Assert.Single(result.Config!.Listeners).Routes.VirtualHosts[0].Routes[0].Clusters.Count);
    }

    [Fact]
    public void Route_rules_path_match_single_cluster_timeout_and_retries()
    {
        var resources = Web();
        var virtualHost = resources.Routes["web/routes"].VirtualHosts[0];
        virtualHost.Domains.Clear();
        virtualHost.Domains.Add("web.example.com");
        virtualHost.RetryPolicy = new RetryPolicy { RetryOn = "connect-failure" };
        virtualHost.Routes.Insert(0, new Route
        {
            Name = "health",
            Match = new RouteMatch { Path = "/healthz" },
            Route_ = new RouteAction
            {
                Cluster = "web/v1",
                Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)),
                RetryPolicy = new RetryPolicy { RetryOn = "refused-stream,retriable-status-codes", NumRetries = 3 },
            },
        });

        var table = Assert.Single(Translated(resources).Listeners).Routes;

        Assert.Equal(["web.example.com"], table.VirtualHosts[0].Domains);
        var health = table.VirtualHosts[0].Routes[0];
        Assert.Equal(("health", "", "/healthz"), (health.Name, health.Prefix, health.Path));
        Assert.Equal([new WeightedClusterChoice("web/v1", 1)], health.Clusters);
        Assert.Equal(TimeSpan.FromSeconds(2), health.Timeout);
        Assert.Equal(new RetryConfig(RetryConditions.RefusedStream, 3), health.Retry);
        // The virtual host's policy applies where the route has none; Envoy retries once by default.
        Assert.Equal(new RetryConfig(RetryConditions.ConnectFailure, 1), table.VirtualHosts[0].Routes[1].Retry);
    }

    [Fact]
    public void A_route_may_name_a_cluster_not_received_yet_and_a_cluster_may_lack_its_assignment()
    {
        var resources = Web();
        var config = Translated(resources with
        {
            Clusters = new Dictionary<string, Cluster> { ["web/v1"] = resources.Clusters["web/v1"] },
            Endpoints = new Dictionary<string, ClusterLoadAssignment>(),
        });

        Assert.Equal(["web/v1", "web/v2"], config.Listeners[0].Routes.VirtualHosts[0].Routes[0].Clusters.Select(c => c.ClusterName));
        Assert.Empty(config.Clusters["web/v1"].Endpoints);
    }

    [Fact]
    public void Cluster_defaults_and_least_request()
    {
        var resources = Web();
        var cluster = resources.Clusters["web/v1"];
        cluster.ConnectTimeout = null;
        cluster.LbPolicy = Cluster.Types.LbPolicy.LeastRequest;
        cluster.LrsServer = null;
        cluster.EdsClusterConfig.ServiceName = "";

        var v1 = Translated(resources).Clusters["web/v1"];

        Assert.Equal((LoadBalancingPolicy.LeastRequest, TimeSpan.FromSeconds(5), false, 2),
            (v1.LoadBalancing, v1.ConnectTimeout, v1.ReportsLoad, v1.Endpoints.Count));
    }

    [Theory]
    [InlineData(HealthStatus.Unknown, EndpointHealth.Healthy)]
    [InlineData(HealthStatus.Healthy, EndpointHealth.Healthy)]
    [InlineData(HealthStatus.Draining, EndpointHealth.Draining)]
    [InlineData(HealthStatus.Unhealthy, EndpointHealth.Unhealthy)]
    [InlineData(HealthStatus.Timeout, EndpointHealth.Unhealthy)]
    [InlineData(HealthStatus.Degraded, EndpointHealth.Unhealthy)]
    public void Endpoint_health_and_weight(HealthStatus served, EndpointHealth expected)
    {
        var resources = Web();
        var endpoint = resources.Endpoints["web/v2"].Endpoints[0].LbEndpoints[0];
        endpoint.HealthStatus = served;
        endpoint.LoadBalancingWeight = 7;

        Assert.Equal(new EndpointConfig("127.0.0.1", 21003, expected, 7), Assert.Single(Translated(resources).Clusters["web/v2"].Endpoints));
    }

    // ---- what is refused (NACKed), with the reason named ----

    [Fact]
    public void A_load_balancing_policy_other_than_round_robin_or_least_request_is_refused_by_name()
    {
        var resources = Web();
        resources.Clusters["web/v2"].LbPolicy = Cluster.Types.LbPolicy.Maglev;

        Assert.Equal("cluster 'web/v2': lb_policy MAGLEV is not supported (ROUND_ROBIN or LEAST_REQUEST)", SingleError(resources));
    }

    [Fact]
    public void A_cluster_type_other_than_eds_is_refused()
    {
        var resources = Web();
        resources.Clusters["web/v1"].Type = Cluster.Types.DiscoveryType.StrictDns;

        Assert.Contains("type STRICT_DNS is not supported (only EDS)", SingleError(resources));
    }

    [Fact]
    public void A_match_the_proxy_cannot_evaluate_is_refused_rather_than_misrouted()
    {
        var resources = Web();
        OnlyRoute(resources).Match = new RouteMatch(); // e.g. safe_regex: a matcher outside Baton's proto subset

        Assert.Equal("route configuration 'web/routes': virtual host 'web': route 'all': match is neither prefix nor path (safe_regex and other matchers are not supported)",
            SingleError(resources));
    }

    [Fact]
    public void Case_insensitive_matching_is_refused()
    {
        var resources = Web();
        OnlyRoute(resources).Match.CaseSensitive = false;

        Assert.Contains("case-insensitive matching is not supported", SingleError(resources));
    }

    [Fact]
    public void A_route_without_cluster_or_weights_is_refused()
    {
        var resources = Web();
        OnlyRoute(resources).Route_ = new RouteAction();

        Assert.Contains("names neither a cluster nor weighted_clusters", SingleError(resources));
    }

    [Fact]
    public void Weighted_clusters_without_a_positive_weight_are_refused()
    {
        var resources = Web();
        foreach (var weighted in OnlyRoute(resources).Route_.WeightedClusters.Clusters) weighted.Weight = 0;

        Assert.Contains("weighted_clusters has no positive weight", SingleError(resources));
    }

    [Fact]
    public void A_virtual_host_without_domains_is_refused()
    {
        var resources = Web();
        resources.Routes["web/routes"].VirtualHosts[0].Domains.Clear();

        Assert.Contains("virtual host 'web': has no domains", SingleError(resources));
    }

    [Theory]
    [InlineData("connect-failure,refused-stream,reset", RetryConditions.ConnectFailure | RetryConditions.RefusedStream | RetryConditions.Reset)]
    [InlineData(" reset ", RetryConditions.ConnectFailure | RetryConditions.RefusedStream | RetryConditions.Reset)] // Envoy's reset: any failure without an answer
    [InlineData("connect-failure", RetryConditions.ConnectFailure)]
    [InlineData("reset-before-request", RetryConditions.ConnectFailure)]
    [InlineData("5xx", RetryConditions.ConnectFailure | RetryConditions.RefusedStream | RetryConditions.Reset)] // its no-answer part
    [InlineData("gateway-error,retriable-4xx", RetryConditions.ConnectFailure | RetryConditions.RefusedStream | RetryConditions.Reset)]
    [InlineData("retriable-status-codes,unavailable,cancelled,no-such-condition", RetryConditions.None)]
    [InlineData("", RetryConditions.None)]
    public void Retry_on_keeps_the_conditions_the_proxy_obeys_and_ignores_the_rest_as_envoy_ignores_unknown_ones(string retryOn, RetryConditions expected)
    {
        var resources = Web();
        OnlyRoute(resources).Route_.RetryPolicy = new RetryPolicy { RetryOn = retryOn, NumRetries = 2 };

        Assert.Equal(new RetryConfig(expected, 2), Assert.Single(Translated(resources).Listeners).Routes.VirtualHosts[0].Routes[0].Retry);
    }

    [Fact]
    public void The_connection_managers_forwarded_header_settings_reach_the_listener_and_default_as_envoys()
    {
        var resources = Web();
        var manager = ManagerOf(resources.Listeners["web/listener"]);
        manager.XffNumTrustedHops = 2;
        manager.SkipXffAppend = true;
        SetManager(resources.Listeners["web/listener"], manager);
        Assert.Equal(new ForwardedHeadersConfig(true, 2, true), Assert.Single(Translated(resources).Listeners).ForwardedHeaders);

        manager.UseRemoteAddress = null;
        manager.XffNumTrustedHops = 0;
        manager.SkipXffAppend = false;
        SetManager(resources.Listeners["web/listener"], manager);
        Assert.Equal(ForwardedHeadersConfig.EnvoyDefault, Assert.Single(Translated(resources).Listeners).ForwardedHeaders);
    }

    [Fact]
    public void An_http3_codec_is_refused()
    {
        var resources = Web();
        var manager = ManagerOf(resources.Listeners["web/listener"]);
        manager.CodecType = HttpConnectionManager.Types.CodecType.Http3;
        SetManager(resources.Listeners["web/listener"], manager);

        Assert.Equal("listener 'web/listener': codec_type HTTP3 is not supported (AUTO, HTTP1 or HTTP2)", SingleError(resources));
    }

    [Fact]
    public void An_http_filter_other_than_the_router_is_refused_unless_optional()
    {
        var resources = Web();
        var manager = ManagerOf(resources.Listeners["web/listener"]);
        manager.HttpFilters.Insert(0, new HttpFilter { Name = "envoy.filters.http.fault", TypedConfig = Any.Pack(new Empty()) });
        SetManager(resources.Listeners["web/listener"], manager);
        Assert.Contains("http filter 'envoy.filters.http.fault'", SingleError(resources));

        manager.HttpFilters[0].IsOptional = true;
        SetManager(resources.Listeners["web/listener"], manager);
        Assert.Empty(ProxyConfigTranslator.Translate(resources).Errors);
    }

    [Fact]
    public void A_network_filter_other_than_the_http_connection_manager_is_refused()
    {
        var resources = Web();
        resources.Listeners["web/listener"].FilterChains[0].Filters.Insert(0, new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new Empty()) });

        Assert.Contains("network filter 'envoy.filters.network.tcp_proxy'", SingleError(resources));
    }

    [Fact]
    public void A_listener_without_socket_address_or_port_is_refused()
    {
        var resources = Web();
        resources.Listeners["web/listener"].Address.SocketAddress.PortValue = 0;
        Assert.Contains("has no port_value between 1 and 65535", SingleError(resources));

        resources.Listeners["web/listener"].Address = null;
        Assert.Contains("has neither a socket address nor an api_listener", SingleError(resources));
    }

    [Fact]
    public void Two_listeners_on_one_port_are_refused()
    {
        var resources = Routing.Served(
            Routing.Http("web", 18080, Routing.Release("v1", 100, 21001)),
            Routing.Http("api", 18080, Routing.Release("v1", 100, 21002)));

        Assert.Equal("listeners 'api/listener', 'web/listener' all bind port 18080", SingleError(resources));
    }

    [Fact]
    public void Upstream_protocol_options_that_ask_for_http3_or_unknown_extensions_are_refused()
    {
        var resources = Web();
        resources.Clusters["web/v1"].TypedExtensionProtocolOptions[HttpProtocolOptionsReader.ExtensionName] = new Any
        {
            TypeUrl = HttpProtocolOptionsReader.TypeUrl,
            Value = ByteString.CopyFrom(0x1A, 0x02, 0x1A, 0x00), // explicit_http_config { http3_protocol_options {} }
        };
        Assert.Contains("asks for HTTP/3", SingleError(resources));

        resources.Clusters["web/v1"].TypedExtensionProtocolOptions.Clear();
        resources.Clusters["web/v1"].TypedExtensionProtocolOptions["envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions"] = Any.Pack(new Empty());
        Assert.Contains("protocol options 'envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions'", SingleError(resources));
    }

    [Fact]
    public void A_load_report_server_other_than_self_is_refused()
    {
        var resources = Web();
        resources.Clusters["web/v1"].LrsServer = new ConfigSource { Ads = new AggregatedConfigSource() };

        Assert.Contains("lrs_server must be self", SingleError(resources));
    }

    [Fact]
    public void Endpoints_in_failover_priorities_are_refused()
    {
        var resources = Web();
        resources.Endpoints["web/v1"].Endpoints[0].Priority = 1;

        Assert.Equal("cluster load assignment 'web/v1': priority 1 is not supported (only 0)", SingleError(resources));
    }

    [Fact]
    public void Every_offending_resource_is_named()
    {
        var resources = Web();
        resources.Clusters["web/v1"].LbPolicy = Cluster.Types.LbPolicy.RingHash;
        resources.Clusters["web/v2"].LbPolicy = Cluster.Types.LbPolicy.Random;

        var result = ProxyConfigTranslator.Translate(resources);

        Assert.Equal(["cluster 'web/v1': lb_policy RING_HASH", "cluster 'web/v2': lb_policy RANDOM"],
            result.Errors.Select(e => e[..e.IndexOf(" is not", StringComparison.Ordinal)]));
    }
}
