using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;
using Envoy.Config.Route.V3;

namespace Baton.Orchestrator.Tests;

public sealed class ConfirmationTests
{
    private static readonly Dictionary<string, uint> OnlyV1 = new() { ["web/v1"] = 100 };
    private static readonly AppRouting Start = Apps.Http("web", 8080, ("v1", 100));
    private static readonly AppRouting Half = Apps.Http("web", 8080, ("v1", 50), ("v2", 50));

    [Fact]
    public async Task Acked_when_the_single_data_plane_acks()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Start);
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");

        var result = await server.Publisher.ApplyAndConfirmAsync(Half, SotwClient.HangGuard, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Acked, result.Outcome);
        var plane = Assert.Single(result.DataPlanes);
        Assert.Equal(("envoy-1", DataPlaneState.Acked), (plane.NodeId, plane.State));
        Assert.Equal(50u, envoy.Weights("web/routes")["web/v2"]);
    }

    [Fact]
    public async Task Acked_only_when_every_data_plane_of_the_app_acks()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Start);
        var planes = new List<SotwDataPlane>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                planes.Add(await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor($"envoy-{i}")));
            }
            foreach (var plane in planes)
            {
                await plane.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
            }

            var result = await server.Publisher.ApplyAndConfirmAsync(Half, SotwClient.HangGuard, CancellationToken.None);

            Assert.Equal(ConfirmationOutcome.Acked, result.Outcome);
            Assert.Equal(["envoy-0", "envoy-1", "envoy-2", "envoy-3"], result.DataPlanes.Select(d => d.NodeId).Order());
            Assert.All(result.DataPlanes, d => Assert.Equal(DataPlaneState.Acked, d.State));
            Assert.All(planes, p => Assert.Equal(50u, p.Weights("web/routes")["web/v2"]));
        }
        finally
        {
            foreach (var plane in planes)
            {
                await plane.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Nacked_with_the_error_when_one_data_plane_rejects_the_route()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Start);
        await using var good = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("good"));
        await using var picky = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("picky"), RejectRoutesToV2);
        await good.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        await picky.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");

        var result = await server.Publisher.ApplyAndConfirmAsync(Half, SotwClient.HangGuard, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Nacked, result.Outcome);
        Assert.Equal("picky", result.NackedBy);
        Assert.Contains("weighted cluster web/v2 refused", result.Error);
        var nack = server.StatusOf("picky", XdsTypeUrls.Route).LastNack;
        Assert.NotNull(nack);
        Assert.Equal("weighted cluster web/v2 refused", nack.Message);
        Assert.Equal(OnlyV1, picky.Weights("web/routes"));

        static string? RejectRoutesToV2(Envoy.Service.Discovery.V3.DiscoveryResponse response) =>
            response.TypeUrl == XdsTypeUrls.Route
            && response.Resources.Any(a => a.Unpack<RouteConfiguration>().VirtualHosts
                .SelectMany(v => v.Routes).Any(r => r.Route_.WeightedClusters.Clusters.Any(c => c.Name == "web/v2")))
                ? "weighted cluster web/v2 refused"
                : null;
    }

    [Fact]
    public async Task Timed_out_names_the_data_plane_that_has_not_acked_while_the_others_did()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Start);
        await using var quick = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("quick"));
        await using var slow = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("slow"));
        await quick.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        await slow.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        slow.HoldAcks(XdsTypeUrls.Route);

        var result = await server.Publisher.ApplyAndConfirmAsync(Half, TimeSpan.FromMilliseconds(500), CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.TimedOut, result.Outcome);
        Assert.Equal(
            [("quick", DataPlaneState.Acked), ("slow", DataPlaneState.Pending)],
            result.DataPlanes.Select(d => (d.NodeId, d.State)).Order());
    }

    [Fact]
    public async Task Acked_with_no_data_planes_connected()
    {
        await using var server = await XdsTestServer.StartAsync();

        var result = await server.Publisher.ApplyAndConfirmAsync(Start, SotwClient.HangGuard, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Acked, result.Outcome);
        Assert.Empty(result.DataPlanes);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Start);
        await using var envoy = await SotwDataPlane.EnvoyAsync(server.NewChannel(), XdsTestServer.NodeFor("envoy-1"));
        await envoy.WaitUntilAsync(p => p.Weights("web/routes").SequenceEqual(OnlyV1), "route on v1");
        envoy.HoldAcks(XdsTypeUrls.Route);
        using var cancel = new CancellationTokenSource();

        var pending = server.Publisher.ApplyAndConfirmAsync(Half, SotwClient.HangGuard, cancel.Token);
        await envoy.WaitUntilAsync(p => p.Log.Any(e => e.TypeUrl == XdsTypeUrls.Route && e.Resources.Count == 1
            && MakeBeforeBreakLog.ClustersOf(e).Contains("web/v2")), "route with v2 received");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }
}
