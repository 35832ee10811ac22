using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Baton.Orchestrator.Tests;

/// <summary>The spec's routing section reaches the served RouteConfiguration: domains, request timeout, retries.</summary>
public sealed class RouteResourceTests
{
    private static RouteConfiguration Route(AppRouting app) =>
        Assert.Single(new AppResourceBuilder(new XdsOptions()).Build(app, previous: null, generation: 1).Of(XdsTypeUrls.Route).Values)
            .Packed.Unpack<RouteConfiguration>();

    [Fact]
    public void Without_routing_options_the_route_matches_any_host_and_sets_no_timeout_or_retries()
    {
        var route = Route(Apps.Http("web", 8080, ("v1", 100)));
        var host = Assert.Single(route.VirtualHosts);
        Assert.Equal(["*"], host.Domains);
        var action = Assert.Single(host.Routes).Route_;
        Assert.Null(action.Timeout);
        Assert.Null(action.RetryPolicy);
    }

    [Fact]
    public void Domains_timeout_and_retries_come_from_the_spec()
    {
        var app = Apps.Http("web", 8080, ("v1", 100)) with
        {
            Domains = ["web.example.com", "*.web.example.com"],
            RequestTimeout = TimeSpan.FromSeconds(30),
            Retries = 2,
        };

        var host = Assert.Single(Route(app).VirtualHosts);

        Assert.Equal(["web.example.com", "*.web.example.com"], host.Domains);
        var action = Assert.Single(host.Routes).Route_;
        Assert.Equal(TimeSpan.FromSeconds(30), action.Timeout.ToTimeSpan());
        Assert.Equal(2u, action.RetryPolicy.NumRetries);
        // Only failures before the app saw the request are retried.
        Assert.Equal("connect-failure,refused-stream,reset", action.RetryPolicy.RetryOn);
    }

    [Fact]
    public void A_grpc_app_with_its_own_domains_still_answers_to_the_name_proxyless_clients_dial()
    {
        var app = Apps.Grpc("echo", ("v1", 100)) with { Domains = ["echo.internal"] };
        Assert.Equal(["echo.internal", "echo"], Assert.Single(Route(app).VirtualHosts).Domains);
    }

    [Fact]
    public void A_grpc_apps_socket_listener_speaks_http2_because_cleartext_auto_would_mean_http1()
    {
        var app = Apps.Grpc("echo", ("v1", 100)) with { PublicPort = 9090 };
        var listeners = new AppResourceBuilder(new XdsOptions()).Build(app, previous: null, generation: 1).Of(XdsTypeUrls.Listener);
        var socket = listeners[ResourceNames.SocketListener("echo")].Packed.Unpack<Listener>();
        var manager = Assert.Single(Assert.Single(socket.FilterChains).Filters).TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal(HttpConnectionManager.Types.CodecType.Http2, manager.CodecType);
    }

    [Fact]
    public void The_public_listener_is_the_edge_so_the_app_hears_of_the_client_and_the_api_listener_says_nothing()
    {
        var app = Apps.Grpc("echo", ("v1", 100)) with { PublicPort = 9090 };
        var listeners = new AppResourceBuilder(new XdsOptions()).Build(app, previous: null, generation: 1).Of(XdsTypeUrls.Listener);

        var socket = listeners[ResourceNames.SocketListener("echo")].Packed.Unpack<Listener>();
        var edge = Assert.Single(Assert.Single(socket.FilterChains).Filters).TypedConfig.Unpack<HttpConnectionManager>();
        Assert.True(edge.UseRemoteAddress);
        Assert.Equal((0u, false), (edge.XffNumTrustedHops, edge.SkipXffAppend));

        var api = listeners[ResourceNames.ApiListener("echo")].Packed.Unpack<Listener>();
        Assert.Null(api.ApiListener.ApiListener_.Unpack<HttpConnectionManager>().UseRemoteAddress);
    }
}
