using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Baton.Orchestrator.Tests;

public sealed class SotwProtocolTests
{
    [Fact]
    public async Task Initial_fetch_serves_each_type_in_the_shape_envoy_and_grpc_accept()
    {
        await using var server = await XdsTestServer.StartAsync();
        var app = new AppRouting("web", AppProtocol.Http, 8080,
        [
            new ReleaseRouting("v1", 100,
            [
                new EndpointRouting("127.0.0.1", 9001, EndpointHealth.Healthy),
                new EndpointRouting("127.0.0.1", 9002, EndpointHealth.Draining),
            ]),
        ]);
        server.Publisher.SetApp(app);
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));

        await client.SendAsync(XdsTypeUrls.Cluster);
        var cds = await client.ReceiveAsync();
        Assert.Equal(XdsTypeUrls.Cluster, cds.TypeUrl);
        Assert.NotEmpty(cds.VersionInfo);
        Assert.NotEmpty(cds.Nonce);
        Assert.Equal("baton", cds.ControlPlane.Identifier);
        var cluster = Assert.Single(cds.Resources).Unpack<Cluster>();
        Assert.Equal("web/v1", cluster.Name);
        Assert.Equal(Cluster.Types.DiscoveryType.Eds, cluster.Type);
        Assert.NotNull(cluster.EdsClusterConfig.EdsConfig.Ads);
        Assert.Equal("web/v1", cluster.EdsClusterConfig.ServiceName);
        Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, cluster.LbPolicy);
        Assert.NotNull(cluster.LrsServer.Self);
        Assert.True(cluster.ConnectTimeout.ToTimeSpan() > TimeSpan.Zero);
        await client.AckAsync(cds);

        await client.SendAsync(XdsTypeUrls.Endpoint, ["web/v1"]);
        var eds = await client.ReceiveAsync();
        var assignment = Assert.Single(eds.Resources).Unpack<ClusterLoadAssignment>();
        Assert.Equal("web/v1", assignment.ClusterName);
        var locality = Assert.Single(assignment.Endpoints);
        Assert.Equal(1u, locality.LoadBalancingWeight);
        Assert.Equal(
            [("127.0.0.1", 9001u, HealthStatus.Healthy), ("127.0.0.1", 9002u, HealthStatus.Draining)],
            locality.LbEndpoints.Select(e => (e.Endpoint.Address.SocketAddress.Address, e.Endpoint.Address.SocketAddress.PortValue, e.HealthStatus)));
        await client.AckAsync(eds, ["web/v1"]);

        await client.SendAsync(XdsTypeUrls.Listener);
        var lds = await client.ReceiveAsync();
        var listener = Assert.Single(lds.Resources).Unpack<Listener>();
        Assert.Equal("web/listener", listener.Name);
        Assert.Equal(8080u, listener.Address.SocketAddress.PortValue);
        var hcm = SotwDataPlane.ConnectionManagerOf(listener);
        Assert.Equal("web/routes", hcm.Rds.RouteConfigName);
        Assert.NotNull(hcm.Rds.ConfigSource.Ads);
        Assert.Equal("envoy.filters.http.router", hcm.HttpFilters[^1].Name);
        Assert.True(hcm.HttpFilters[^1].TypedConfig.Is(Router.Descriptor));
        await client.AckAsync(lds);

        await client.SendAsync(XdsTypeUrls.Route, ["web/routes"]);
        var rds = await client.ReceiveAsync();
        var route = Assert.Single(rds.Resources).Unpack<RouteConfiguration>();
        Assert.Equal("web/routes", route.Name);
        var virtualHost = Assert.Single(route.VirtualHosts);
        Assert.Equal(["*"], virtualHost.Domains);
        var split = Assert.Single(virtualHost.Routes).Route_.WeightedClusters;
        Assert.Equal([("web/v1", 100u)], split.Clusters.Select(c => (c.Name, c.Weight ?? 0)));
    }

    [Fact]
    public async Task Grpc_app_gets_an_api_listener_named_after_it_that_only_named_subscribers_receive()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Grpc("greeter", ("v1", 100)) with { PublicPort = 9090 });
        await using var envoy = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("envoy"));
        await using var proxyless = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("grpc-client"));

        await envoy.SendAsync(XdsTypeUrls.Listener);
        var wildcard = await envoy.ReceiveAsync();
        Assert.Equal(["greeter/listener"], wildcard.Resources.Select(a => a.Unpack<Listener>().Name));

        await proxyless.SendAsync(XdsTypeUrls.Listener, ["greeter"]);
        var named = await proxyless.ReceiveAsync();
        var apiListener = Assert.Single(named.Resources).Unpack<Listener>();
        Assert.Equal("greeter", apiListener.Name);
        Assert.Null(apiListener.Address);
        var hcm = apiListener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.Equal("greeter/routes", hcm.Rds.RouteConfigName);
        Assert.NotNull(hcm.Rds.ConfigSource.Ads);
        Assert.True(hcm.HttpFilters[^1].TypedConfig.Is(Router.Descriptor));
    }

    [Fact]
    public async Task Ack_with_same_version_and_nonce_is_not_answered_with_a_resend()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));

        await client.SendAsync(XdsTypeUrls.Cluster);
        var cds = await client.ReceiveAsync();
        await client.AckAsync(cds);
        // LDS comes after CDS in push order: had the ACK caused a CDS resend, it would arrive first.
        await client.SendAsync(XdsTypeUrls.Listener);
        var next = await client.ReceiveAsync();

        Assert.Equal(XdsTypeUrls.Listener, next.TypeUrl);
        var status = server.StatusOf("envoy-1", XdsTypeUrls.Cluster);
        Assert.Equal(1, status.ResponsesSent);
        Assert.Equal(1, status.Acks);
        Assert.Equal(cds.VersionInfo, status.LastAckedVersion);
        Assert.Null(status.PendingNonce);
    }

    [Fact]
    public async Task Nack_is_recorded_with_its_message_and_not_resent_until_the_resources_change()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        using var nacks = new MeasurementRecorder("nacks");
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));

        await client.SendAsync(XdsTypeUrls.Cluster);
        var rejected = await client.ReceiveAsync();
        await client.NackAsync(rejected, previousVersion: "", message: "cluster web/v1: unsupported lb policy");
        await client.SendAsync(XdsTypeUrls.Listener);
        Assert.Equal(XdsTypeUrls.Listener, (await client.ReceiveAsync()).TypeUrl);

        var status = server.StatusOf("envoy-1", XdsTypeUrls.Cluster);
        Assert.Equal(1, status.ResponsesSent);
        Assert.Equal(1, status.Nacks);
        Assert.Null(status.LastAckedVersion);
        Assert.NotNull(status.LastNack);
        Assert.Equal("cluster web/v1: unsupported lb policy", status.LastNack.Message);
        Assert.Equal(rejected.VersionInfo, status.LastNack.RejectedVersion);
        Assert.Equal(rejected.Nonce, status.LastNack.Nonce);
        Assert.True(nacks.Total(("xds.type", "CDS")) >= 1);

        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100), ("v2", 0)));
        var changed = await client.ReceiveAsync(XdsTypeUrls.Cluster);
        Assert.NotEqual(rejected.VersionInfo, changed.VersionInfo);
        Assert.Equal(["web/v1", "web/v2"], changed.Resources.Select(a => a.Unpack<Cluster>().Name));
    }

    [Fact]
    public async Task Request_with_a_stale_nonce_is_ignored()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));

        await client.SendAsync(XdsTypeUrls.Cluster);
        var first = await client.ReceiveAsync();
        await client.AckAsync(first);
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100), ("v2", 0)));
        var second = await client.ReceiveAsync(XdsTypeUrls.Cluster);

        // A NACK carrying a nonce the server has moved past must change nothing.
        await client.NackAsync(first, first.VersionInfo, "late complaint", ["*"]);
        await client.AckAsync(second);
        await client.SendAsync(XdsTypeUrls.Listener);
        Assert.Equal(XdsTypeUrls.Listener, (await client.ReceiveAsync()).TypeUrl);

        var status = server.StatusOf("envoy-1", XdsTypeUrls.Cluster);
        Assert.Equal(1, status.StaleRequests);
        Assert.Equal(0, status.Nacks);
        Assert.Null(status.LastNack);
        Assert.Equal(2, status.Acks);
        Assert.Equal(second.VersionInfo, status.LastAckedVersion);
    }

    [Fact]
    public async Task Named_subscription_gets_only_its_names_and_wildcard_gets_everything()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("a", 8081, ("v1", 100)));
        server.Publisher.SetApp(Apps.Http("b", 8082, ("v1", 100)));
        await using var named = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("named"));
        await using var wildcard = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("wildcard"));

        await named.SendAsync(XdsTypeUrls.Cluster, ["b/v1", "missing/v9"]);
        await wildcard.SendAsync(XdsTypeUrls.Cluster);

        Assert.Equal(["b/v1"], (await named.ReceiveAsync()).Resources.Select(a => a.Unpack<Cluster>().Name));
        Assert.Equal(["a/v1", "b/v1"], (await wildcard.ReceiveAsync()).Resources.Select(a => a.Unpack<Cluster>().Name));
    }

    [Fact]
    public async Task Removed_cluster_is_omitted_from_the_next_full_set()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("a", 8081, ("v1", 100)));
        server.Publisher.SetApp(Apps.Http("b", 8082, ("v1", 100)));
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await client.SendAsync(XdsTypeUrls.Cluster);
        var both = await client.ReceiveAsync();
        Assert.Equal(2, both.Resources.Count);
        await client.AckAsync(both);

        server.Publisher.RemoveApp("a");
        var after = await client.ReceiveAsync(XdsTypeUrls.Cluster);

        Assert.Equal(["b/v1"], after.Resources.Select(a => a.Unpack<Cluster>().Name));
        Assert.NotEqual(both.VersionInfo, after.VersionInfo);
    }
}
