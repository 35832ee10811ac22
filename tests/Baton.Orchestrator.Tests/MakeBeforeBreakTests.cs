using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;

namespace Baton.Orchestrator.Tests;

public sealed class MakeBeforeBreakTests
{
    private static readonly Dictionary<string, uint> OnlyV1 = new() { ["web/v1"] = 100 };

    [Fact]
    public async Task Switching_releases_in_one_step_adds_the_new_cluster_before_the_route_and_drops_the_old_after()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");

        server.Publisher.SetApp(Apps.Http("web", 8080, ("v2", 100)));
        await envoy.WaitUntilAsync(
            p => p.Weights("web/routes").Keys.SequenceEqual(["web/v2"]) && p.Held(XdsTypeUrls.Cluster).Keys.SequenceEqual(["web/v2"]),
            "route and clusters on v2 only");

        var log = envoy.Log;
        Assert.Empty(MakeBeforeBreakLog.Violations(log));
        var firstRouteToV2 = log.First(e => e.TypeUrl == XdsTypeUrls.Route && MakeBeforeBreakLog.ClustersOf(e).Contains("web/v2"));
        var firstClusterV2 = log.First(e => e.TypeUrl == XdsTypeUrls.Cluster && e.Resources.ContainsKey("web/v2"));
        var firstEndpointsV2 = log.First(e => e.TypeUrl == XdsTypeUrls.Endpoint && e.Resources.ContainsKey("web/v2"));
        var v1Withdrawn = log.First(e => e.TypeUrl == XdsTypeUrls.Cluster && !e.Resources.ContainsKey("web/v1"));
        Assert.True(firstClusterV2.Sequence < firstEndpointsV2.Sequence);
        Assert.True(firstEndpointsV2.Sequence < firstRouteToV2.Sequence);
        Assert.True(firstRouteToV2.Sequence < v1Withdrawn.Sequence);
        Assert.DoesNotContain("web/v1", MakeBeforeBreakLog.ClustersOf(firstRouteToV2));
    }

    [Fact]
    public async Task Route_waits_until_the_data_plane_acked_the_new_cluster()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        envoy.HoldAcks(XdsTypeUrls.Cluster);

        var step = Apps.Http("web", 8080, ("v1", 50), ("v2", 50));
        var unconfirmed = await server.Publisher.ApplyAndConfirmAsync(step, TimeSpan.FromMilliseconds(500), CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.TimedOut, unconfirmed.Outcome);
        Assert.Equal(DataPlaneState.Pending, Assert.Single(unconfirmed.DataPlanes).State);
        Assert.Contains(envoy.Log, e => e.TypeUrl == XdsTypeUrls.Cluster && e.Resources.ContainsKey("web/v2"));
        Assert.DoesNotContain(envoy.Log, e => e.TypeUrl == XdsTypeUrls.Route && MakeBeforeBreakLog.ClustersOf(e).Contains("web/v2"));

        await envoy.ReleaseAcksAsync();
        var confirmed = await server.Publisher.ApplyAndConfirmAsync(step, SotwClient.HangGuard, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Acked, confirmed.Outcome);
        Assert.Equal(new Dictionary<string, uint> { ["web/v1"] = 50, ["web/v2"] = 50 }, envoy.Weights("web/routes"));
        Assert.Empty(MakeBeforeBreakLog.Violations(envoy.Log));
    }

    [Fact]
    public async Task Removing_an_app_withdraws_its_listener_before_its_clusters()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");

        server.Publisher.RemoveApp("web");
        await envoy.WaitUntilAsync(
            p => p.Held(XdsTypeUrls.Listener).Count == 0 && p.Held(XdsTypeUrls.Cluster).Count == 0,
            "listener and clusters gone");

        var log = envoy.Log;
        var listenerGone = log.First(e => e.TypeUrl == XdsTypeUrls.Listener && e.Resources.Count == 0);
        var clustersGone = log.First(e => e.TypeUrl == XdsTypeUrls.Cluster && e.Resources.Count == 0);
        Assert.True(listenerGone.Sequence < clustersGone.Sequence);
    }

    [Fact]
    public async Task Proxyless_client_follows_listener_route_cluster_endpoints_and_gets_new_weights()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Grpc("greeter", ("v1", 100)));
        await using var client = await SotwDataPlane.ProxylessAsync(server.NewChannel(), XdsTestServer.NodeFor("grpc-1"), "greeter");
        await client.WaitUntilAsync(p => p.Held(XdsTypeUrls.Endpoint).ContainsKey("greeter/v1"), "endpoints of v1");

        var result = await server.Publisher.ApplyAndConfirmAsync(
            Apps.Grpc("greeter", ("v1", 90), ("v2", 10)), SotwClient.HangGuard, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Acked, result.Outcome);
        Assert.Equal("grpc-1", Assert.Single(result.DataPlanes).NodeId);
        Assert.Equal(new Dictionary<string, uint> { ["greeter/v1"] = 90, ["greeter/v2"] = 10 }, client.Weights("greeter/routes"));
        await client.WaitUntilAsync(p => p.Held(XdsTypeUrls.Endpoint).ContainsKey("greeter/v2"), "endpoints of v2");
    }
    /// <summary>
    /// A proxyless client reconnects (the server was restarted) still routing every call to v1 by what the previous
    /// stream gave it; meanwhile the resumed deploy moved everything to v2 and marked v1 draining. gRPC drops
    /// draining endpoints, so v1's drained endpoints applied before the route to v2 leave the cluster it routes to
    /// empty and fail its calls ("priority policy has empty priority list"). They must wait for the route's ACK.
    /// </summary>
    [Fact]
    public async Task Reconnecting_client_gets_a_draining_release_s_endpoints_only_after_it_acked_the_route_away_from_it()
    {
        await using var server = await XdsTestServer.StartAsync();
        var v1 = Apps.Release("v1", 0);
        var drainingV1 = v1 with { Endpoints = [.. v1.Endpoints.Select(e => e with { Health = EndpointHealth.Draining })] };
        server.Publisher.SetApp(new AppRouting("greeter", AppProtocol.Grpc, null, [drainingV1, Apps.Release("v2", 100)]));
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("grpc-1"));

        // What grpc-js sends on a new stream: every name it watches, in the order it first watched each type.
        var subscriptions = new Dictionary<string, List<string>>
        {
            [XdsTypeUrls.Listener] = ["greeter"],
            [XdsTypeUrls.Route] = ["greeter/routes"],
            [XdsTypeUrls.Cluster] = ["greeter/v1"],
            [XdsTypeUrls.Endpoint] = ["greeter/v1"],
        };
        foreach (var (typeUrl, names) in subscriptions)
        {
            await client.SendAsync(typeUrl, names, version: "from-the-previous-server");
        }

        // The route is received but not ACKed yet (not applied yet, as far as the server can tell); everything
        // else is ACKed, and the client watches v2 too, which the route names.
        DiscoveryResponse? route = null;
        var endpointsBeforeTheRouteAck = new List<ClusterLoadAssignment>();
        while (true)
        {
            var response = await client.ReceiveAsync();
            if (response.TypeUrl == XdsTypeUrls.Route)
            {
                route = response;
                foreach (var typeUrl in new[] { XdsTypeUrls.Cluster, XdsTypeUrls.Endpoint })
                {
                    subscriptions[typeUrl] = ["greeter/v1", "greeter/v2"];
                    await client.SendAsync(typeUrl, subscriptions[typeUrl]);
                }
                continue;
            }
            await client.AckAsync(response, subscriptions[response.TypeUrl]);
            if (response.TypeUrl != XdsTypeUrls.Endpoint)
            {
                continue;
            }
            var assignments = SotwDataPlane.Unpack(response).Values.Cast<ClusterLoadAssignment>().ToList();
            endpointsBeforeTheRouteAck.AddRange(assignments);
            if (assignments.Any(a => a.ClusterName == "greeter/v2"))
            {
                break;
            }
        }
        Assert.DoesNotContain(endpointsBeforeTheRouteAck, a => a.ClusterName == "greeter/v1" && !TakesNewRequests(a));

        // Once the client follows the route away from v1, v1's endpoints are no longer a risk: they go out.
        await client.AckAsync(route!, subscriptions[XdsTypeUrls.Route]);
        var afterTheRouteAck = SotwDataPlane.Unpack(await client.ReceiveAsync(XdsTypeUrls.Endpoint));
        Assert.False(TakesNewRequests((ClusterLoadAssignment)afterTheRouteAck["greeter/v1"]));
        Assert.True(TakesNewRequests((ClusterLoadAssignment)afterTheRouteAck["greeter/v2"]));
    }

    private static bool TakesNewRequests(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.SelectMany(l => l.LbEndpoints).Any(e => e.HealthStatus == HealthStatus.Healthy);
}
