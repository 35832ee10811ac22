using Baton.Orchestrator.Xds;
using Baton.Proxy.Configuration;
using Baton.Proxy.Tests.Support;
using Baton.Proxy.Xds;
using Envoy.Config.Cluster.V3;
using EndpointHealth = Baton.Proxy.Configuration.EndpointHealth;

namespace Baton.Proxy.Tests.Xds;

/// <summary>The ADS client against the orchestrator's real xDS server, with a recording stand-in for the data path.</summary>
public sealed class AdsClientTests
{
    private const int PublicPort = 18080;
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(20);

    private static AppRouting Web(uint v1Weight) =>
        Routing.Http("web", PublicPort, Routing.Release("v1", v1Weight, 21001, -21002));

    private static AppRouting Web(uint v1Weight, uint v2Weight) =>
        Routing.Http("web", PublicPort, Routing.Release("v1", v1Weight, 21001, -21002), Routing.Release("v2", v2Weight, 21003));

    private static IReadOnlyList<WeightedClusterChoice> Weights(ProxyConfig config) =>
        config.Listeners.Single().Routes.VirtualHosts.Single().Routes.Single().Clusters;

    private static Task ListenerAppliedAsync(XdsClientsUnderTest proxy) =>
        Eventually.TrueAsync(() => proxy.Applier.Latest is { Listeners.Count: 1 } config && config.Clusters.Values.All(c => c.Endpoints.Count > 0),
            "the web listener with its clusters' endpoints applied");

    [Fact]
    public async Task The_config_arrives_complete_and_is_applied_before_the_server_hears_the_ack()
    {
        await using var server = await ControlPlane.StartAsync();
        await using var proxy = await XdsClientsUnderTest.StartAsync(server.Address, apps: ["web"]);
        server.Publisher.SetApp(Web(100));
        await ListenerAppliedAsync(proxy);

        var confirmation = await server.Publisher.ApplyAndConfirmAsync(Web(90, 10), ConfirmTimeout, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Acked, confirmation.Outcome);
        var dataPlane = Assert.Single(confirmation.DataPlanes);
        Assert.Equal((proxy.NodeId, DataPlaneState.Acked), (dataPlane.NodeId, dataPlane.State));
        // An ACK means live: the data path holds the new weights by the time the server counts the ACK.
        var config = proxy.Applier.Latest!;
        var listener = Assert.Single(config.Listeners);
        Assert.Equal(("web/listener", "0.0.0.0", PublicPort), (listener.Name, listener.Host, listener.Port));
        Assert.Equal(["*"], Assert.Single(listener.Routes.VirtualHosts).Domains);
        Assert.Equal([new WeightedClusterChoice("web/v1", 90), new WeightedClusterChoice("web/v2", 10)], Weights(config));
        Assert.Equal(
            [new EndpointConfig("127.0.0.1", 21001, EndpointHealth.Healthy, 1), new EndpointConfig("127.0.0.1", 21002, EndpointHealth.Draining, 1)],
            config.Clusters["web/v1"].Endpoints);
        Assert.Equal([new EndpointConfig("127.0.0.1", 21003, EndpointHealth.Healthy, 1)], config.Clusters["web/v2"].Endpoints);
        Assert.Equal(["web/v1", "web/v2"], proxy.ReportingClusters.Current.Order());

        var stream = server.StreamOf(proxy.NodeId)!;
        Assert.Equal(["web"], stream.ViewedApps); // node metadata baton.apps
        Assert.True(proxy.Status.Connected);
        Assert.Null(proxy.Status.LastNackError);
        foreach (var type in stream.Types)
        {
            Assert.Equal(type.LastAckedVersion, proxy.Status.LastAckedVersion(type.TypeUrl));
            Assert.Equal(0, type.Nacks);
        }
    }

    [Fact]
    public async Task Each_weight_step_is_applied_then_acked()
    {
        await using var server = await ControlPlane.StartAsync();
        await using var proxy = await XdsClientsUnderTest.StartAsync(server.Address);
        server.Publisher.SetApp(Web(100, 0));
        await ListenerAppliedAsync(proxy);

        foreach (var (v1, v2) in new[] { (50u, 50u), (10u, 90u), (0u, 100u) })
        {
            var confirmation = await server.Publisher.ApplyAndConfirmAsync(Web(v1, v2), ConfirmTimeout, CancellationToken.None);

            Assert.Equal(ConfirmationOutcome.Acked, confirmation.Outcome);
            Assert.Equal(proxy.NodeId, Assert.Single(confirmation.DataPlanes).NodeId);
            var expected = new List<WeightedClusterChoice>();
            if (v1 > 0) expected.Add(new WeightedClusterChoice("web/v1", v1));
            expected.Add(new WeightedClusterChoice("web/v2", v2));
            Assert.Equal(expected, Weights(proxy.Applier.Latest!));
        }
    }

    [Fact]
    public async Task An_unsupported_resource_is_nacked_with_its_reason_and_the_last_good_config_stays()
    {
        var breakV2 = false;
        await using var server = await ControlPlane.StartAsync(editBuiltResource: message =>
        {
            if (Volatile.Read(ref breakV2) && message is Cluster { Name: "web/v2" } cluster)
            {
                cluster.LbPolicy = Cluster.Types.LbPolicy.Maglev;
            }
        });
        await using var proxy = await XdsClientsUnderTest.StartAsync(server.Address);
        server.Publisher.SetApp(Web(100));
        await ListenerAppliedAsync(proxy);
        var good = proxy.Applier.Latest!;
        var appliedBefore = proxy.Applier.Applied.Count;

        Volatile.Write(ref breakV2, true);
        var confirmation = await server.Publisher.ApplyAndConfirmAsync(Web(90, 10), ConfirmTimeout, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Nacked, confirmation.Outcome);
        Assert.Equal(proxy.NodeId, confirmation.NackedBy);
        Assert.Contains("cluster 'web/v2': lb_policy MAGLEV is not supported", confirmation.Error);
        var cds = server.StreamOf(proxy.NodeId)!.Types.Single(t => t.TypeUrl == XdsTypeUrls.Cluster);
        Assert.Equal("cluster 'web/v2': lb_policy MAGLEV is not supported (ROUND_ROBIN or LEAST_REQUEST)", cds.LastNack!.Message);
        Assert.Equal(cds.LastAckedVersion, proxy.Status.LastAckedVersion(XdsTypeUrl.Cluster));
        Assert.Equal("CDS: " + cds.LastNack.Message, proxy.Status.LastNackError);
        Assert.Equal(appliedBefore, proxy.Applier.Applied.Count);
        Assert.Same(good, proxy.Applier.Latest);

        // Once the server serves something valid again, it goes through.
        Volatile.Write(ref breakV2, false);
        var fixedUp = await server.Publisher.ApplyAndConfirmAsync(Web(90, 10), ConfirmTimeout, CancellationToken.None);
        Assert.Equal(ConfirmationOutcome.Acked, fixedUp.Outcome);
        Assert.Equal([new WeightedClusterChoice("web/v1", 90), new WeightedClusterChoice("web/v2", 10)], Weights(proxy.Applier.Latest!));
    }

    [Fact]
    public async Task A_config_the_data_path_refuses_is_nacked_with_its_words()
    {
        await using var server = await ControlPlane.StartAsync();
        var applier = new RecordingApplier();
        await using var proxy = await XdsClientsUnderTest.StartAsync(server.Address, applier);
        server.Publisher.SetApp(Web(100));
        await ListenerAppliedAsync(proxy);
        var good = applier.Latest!;
        applier.Refuse = config => config.Clusters.ContainsKey("web/v2") ? "cannot take cluster web/v2: refused by the test" : null;

        var confirmation = await server.Publisher.ApplyAndConfirmAsync(Web(90, 10), ConfirmTimeout, CancellationToken.None);

        Assert.Equal(ConfirmationOutcome.Nacked, confirmation.Outcome);
        Assert.Contains("cannot take cluster web/v2: refused by the test", confirmation.Error);
        Assert.Equal("cannot take cluster web/v2: refused by the test",
            server.StreamOf(proxy.NodeId)!.Types.Single(t => t.TypeUrl == XdsTypeUrls.Cluster).LastNack!.Message);
        Assert.Same(good, applier.Latest);
        Assert.Equal("CDS: cannot take cluster web/v2: refused by the test", proxy.Status.LastNackError);
    }

    [Fact]
    public async Task Routes_and_assignments_no_longer_referenced_are_unsubscribed()
    {
        await using var server = await ControlPlane.StartAsync();
        await using var proxy = await XdsClientsUnderTest.StartAsync(server.Address);
        int Subscribed(string typeUrl) =>
            server.StreamOf(proxy.NodeId)?.Types.Single(t => t.TypeUrl == typeUrl).SubscribedNames ?? -1;
        server.Publisher.SetApp(Web(100, 0));
        await ListenerAppliedAsync(proxy);
        await Eventually.TrueAsync(() => Subscribed(XdsTypeUrls.Endpoint) == 2 && Subscribed(XdsTypeUrls.Route) == 1, "EDS for both releases, RDS for the route");

        // v1 retired: the route moves first, then its cluster goes, then the proxy stops asking for its endpoints.
        server.Publisher.SetApp(Routing.Http("web", PublicPort, Routing.Release("v2", 100, 21003)));
        await Eventually.TrueAsync(() => Subscribed(XdsTypeUrls.Endpoint) == 1, "EDS for web/v1 unsubscribed");
        Assert.Equal(["web/v2"], proxy.Applier.Latest!.Clusters.Keys);
        Assert.Equal(["web/v2"], proxy.ReportingClusters.Current);

        server.Publisher.RemoveApp("web");
        await Eventually.TrueAsync(() => Subscribed(XdsTypeUrls.Route) == 0 && Subscribed(XdsTypeUrls.Endpoint) == 0, "nothing named is asked for");
        await Eventually.TrueAsync(() => proxy.Applier.Latest is { Listeners.Count: 0, Clusters.Count: 0 }, "the empty config applied");
    }

    [Fact]
    public async Task After_the_server_restarts_the_client_reconnects_and_receives_config_again()
    {
        var server = await ControlPlane.StartAsync();
        try
        {
            await using var proxy = await XdsClientsUnderTest.StartAsync(server.Address);
            server.Publisher.SetApp(Web(100, 0));
            await ListenerAppliedAsync(proxy);
            var lastGood = proxy.Applier.Latest!;

            await server.StopAsync();
            await Eventually.TrueAsync(() => !proxy.Status.Connected, "the proxy notices the stream is gone");
            var callsWhileDown = proxy.Applier.Calls;
            await Task.Delay(300); // a few failed reconnect attempts, during which nothing is applied
            Assert.Equal(callsWhileDown, proxy.Applier.Calls);
            Assert.Same(lastGood, proxy.Applier.Latest);

            // A restarted orchestrator restores its routing from its store before it serves.
            server = await ControlPlane.StartAsync(server.Port, beforeServing: publisher => publisher.SetApp(Web(70, 30)));
            await Eventually.TrueAsync(() => proxy.Status.Connected && Weights(proxy.Applier.Latest!).Count == 2,
                "the proxy reconnects and applies the restarted server's routing");
            Assert.Equal([new WeightedClusterChoice("web/v1", 70), new WeightedClusterChoice("web/v2", 30)], Weights(proxy.Applier.Latest!));

            var confirmation = await server.Publisher.ApplyAndConfirmAsync(Web(60, 40), ConfirmTimeout, CancellationToken.None);
            Assert.Equal(ConfirmationOutcome.Acked, confirmation.Outcome);
            Assert.Equal(proxy.NodeId, Assert.Single(confirmation.DataPlanes).NodeId);

            // Load reports find the new server too.
            proxy.LoadStats.For("web/v2").Started();
            await Eventually.TrueAsync(() => server.LoadReports.Get("web", "v2", TimeSpan.FromMinutes(1)).InFlight == 1,
                "load reports reach the restarted server");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
