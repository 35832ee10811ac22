using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;
using Envoy.Config.Cluster.V3;
using Grpc.Core;

namespace Baton.Orchestrator.Tests;

public sealed class RobustnessTests
{
    private static readonly Dictionary<string, uint> OnlyV1 = new() { ["web/v1"] = 100 };

    [Fact]
    public async Task Unknown_type_url_is_ignored_and_the_stream_keeps_working()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("curious"));

        await client.SendAsync("type.googleapis.com/envoy.config.secret.v3.Secret", ["tls"]);
        await client.SendAsync(XdsTypeUrls.Cluster);
        var response = await client.ReceiveAsync();

        Assert.Equal(XdsTypeUrls.Cluster, response.TypeUrl);
        var stream = Assert.Single(server.Monitor.ListStreams());
        Assert.Equal(["type.googleapis.com/envoy.config.secret.v3.Secret"], stream.IgnoredTypeUrls);
    }

    [Fact]
    public async Task Request_without_type_url_ends_only_its_own_stream()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var bad = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("bad"));
        await using var good = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("good"));

        await bad.SendAsync("");
        var error = await bad.ReceiveErrorAsync();
        await good.SendAsync(XdsTypeUrls.Cluster);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("type_url is required", error.Status.Detail);
        Assert.Equal(XdsTypeUrls.Cluster, (await good.ReceiveAsync()).TypeUrl);
    }

    [Fact]
    public async Task A_stream_that_never_reads_does_not_delay_the_others()
    {
        await using var server = await XdsTestServer.StartAsync();
        // Endpoints enough that one EDS response overflows the HTTP/2 window of a client that never reads.
        var big = new AppRouting("web", AppProtocol.Http, 8080, [Apps.Release("v1", 100, endpointCount: 8000)]);
        server.Publisher.SetApp(big);
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        await using var deaf = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("deaf"));
        await deaf.SendAsync(XdsTypeUrls.Cluster);
        await deaf.SendAsync(XdsTypeUrls.Endpoint, ["web/v1"]);

        for (uint step = 1; step <= 3; step++)
        {
            var weights = big with { Releases = [big.Releases[0], Apps.Release("v2", step * 10, endpointCount: 8000)] };
            var result = await server.Publisher.ApplyAndConfirmAsync(weights, SotwClient.HangGuard, CancellationToken.None);
            Assert.Equal(ConfirmationOutcome.Acked, result.Outcome);
            Assert.Equal(step * 10, envoy.Weights("web/routes")["web/v2"]);
        }
        var deafStatus = server.Monitor.ListStreams().Single(s => s.NodeId == "deaf");
        Assert.Equal(0, deafStatus.Types.Sum(t => t.Acks));
    }

    [Fact]
    public async Task Subscribing_to_a_hundred_thousand_names_gets_the_existing_ones_and_slows_no_one()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        await using var greedy = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor("greedy"));
        var names = Enumerable.Range(0, 100_000).Select(i => $"app{i}/v1").Append("web/v1").ToList();

        await greedy.SendAsync(XdsTypeUrls.Cluster, names);
        var response = await greedy.ReceiveAsync();
        var result = await server.Publisher.ApplyAndConfirmAsync(
            Apps.Http("web", 8080, ("v1", 70), ("v2", 30)), SotwClient.HangGuard, CancellationToken.None);

        Assert.Equal(["web/v1"], response.Resources.Select(a => a.Unpack<Cluster>().Name));
        Assert.Equal(ConfirmationOutcome.Acked, result.Outcome);
        Assert.Equal("envoy-1", Assert.Single(result.DataPlanes).NodeId);
    }

    [Fact]
    public async Task Stream_status_lists_node_subscriptions_and_acked_versions()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1", cluster: "web"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        var routeVersion = envoy.Log.Last(e => e.TypeUrl == XdsTypeUrls.Route).Version;

        var stream = await server.WaitForStreamAsync("envoy-1",
            s => s.Types.Single(t => t.TypeUrl == XdsTypeUrls.Route).LastAckedVersion == routeVersion);

        Assert.Single(server.Monitor.ListStreams());
        Assert.Equal(("envoy-1", "web", "sotw"), (stream.NodeId, stream.NodeCluster, stream.Protocol));
        Assert.Equal(["web"], stream.ViewedApps);
        var byType = stream.Types.ToDictionary(t => t.TypeUrl);
        Assert.True(byType[XdsTypeUrls.Cluster].Wildcard);
        Assert.True(byType[XdsTypeUrls.Listener].Wildcard);
        Assert.Equal(1, byType[XdsTypeUrls.Endpoint].SubscribedNames);
        Assert.Equal(1, byType[XdsTypeUrls.Route].Acks);
        Assert.All(stream.Types, t => Assert.Null(t.LastNack));
    }
}
