using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;

namespace Baton.Orchestrator.Tests;

public sealed class DeltaProtocolTests
{
    [Fact]
    public async Task Wildcard_clusters_arrive_incrementally_and_removals_in_removed_resources()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var client = new DeltaClient(server.NewChannel(), XdsTestServer.NodeFor("envoy-delta"));

        await client.SendAsync(XdsTypeUrls.Cluster);
        var initial = await client.ReceiveAsync();
        Assert.Equal(["web/v1"], initial.Resources.Select(r => r.Name));
        Assert.Equal("web/v1", initial.Resources[0].Resource_.Unpack<Cluster>().Name);
        Assert.NotEmpty(initial.Resources[0].Version);
        await client.AckAsync(initial);

        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100), ("v2", 0)));
        var added = await client.ReceiveAsync();
        Assert.Equal(["web/v2"], added.Resources.Select(r => r.Name));
        Assert.Empty(added.RemovedResources);
        await client.AckAsync(added);

        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        var removed = await client.ReceiveAsync();
        Assert.Empty(removed.Resources);
        Assert.Equal(["web/v2"], removed.RemovedResources);
        await client.AckAsync(removed);
        await client.SendAsync(XdsTypeUrls.Listener);
        Assert.Equal(XdsTypeUrls.Listener, (await client.ReceiveAsync()).TypeUrl);

        var status = server.StatusOf("envoy-delta", XdsTypeUrls.Cluster);
        Assert.True(status.Wildcard);
        Assert.Equal(1, status.AckedResources);
    }

    [Fact]
    public async Task Named_subscribe_and_unsubscribe_and_missing_names_answered_as_removed()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var client = new DeltaClient(server.NewChannel(), XdsTestServer.NodeFor("delta-1"));

        await client.SendAsync(XdsTypeUrls.Endpoint, subscribe: ["web/v1", "nope/v1"]);
        var first = await client.ReceiveAsync();
        Assert.Equal(["web/v1"], first.Resources.Select(r => r.Resource_.Unpack<ClusterLoadAssignment>().ClusterName));
        Assert.Equal(["nope/v1"], first.RemovedResources);
        await client.AckAsync(first);

        await client.SendAsync(XdsTypeUrls.Endpoint, unsubscribe: ["web/v1"]);
        // Requests are handled in order, so once LDS is answered the unsubscribe has been applied.
        await client.SendAsync(XdsTypeUrls.Listener);
        Assert.Equal(XdsTypeUrls.Listener, (await client.ReceiveAsync()).TypeUrl);
        server.Publisher.SetApp(new AppRouting("web", AppProtocol.Http, 8080, [Apps.Release("v1", 100, endpointCount: 3)]));
        // Nothing may come for the unsubscribed name: EDS precedes RDS in push order, so RDS comes first only if no EDS is due.
        await client.SendAsync(XdsTypeUrls.Route, subscribe: ["web/routes"]);
        var next = await client.ReceiveAsync();
        Assert.Equal(XdsTypeUrls.Route, next.TypeUrl);

        await client.SendAsync(XdsTypeUrls.Endpoint, subscribe: ["web/v1"]);
        var again = await client.ReceiveAsync();
        Assert.Equal(XdsTypeUrls.Endpoint, again.TypeUrl);
        var assignment = Assert.Single(again.Resources).Resource_.Unpack<ClusterLoadAssignment>();
        Assert.Equal(3, assignment.Endpoints.Single().LbEndpoints.Count);
    }

    [Fact]
    public async Task Nacked_resource_version_is_not_resent_until_it_changes()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        await using var client = new DeltaClient(server.NewChannel(), XdsTestServer.NodeFor("delta-1"));

        await client.SendAsync(XdsTypeUrls.Endpoint, subscribe: ["web/v1"]);
        var rejected = await client.ReceiveAsync();
        await client.SendAsync(XdsTypeUrls.Endpoint, nonce: rejected.Nonce,
            error: new Google.Rpc.Status { Code = 3, Message = "endpoint port 0" });
        await client.SendAsync(XdsTypeUrls.Listener);
        Assert.Equal(XdsTypeUrls.Listener, (await client.ReceiveAsync()).TypeUrl);

        var status = server.StatusOf("delta-1", XdsTypeUrls.Endpoint);
        Assert.Equal(1, status.ResponsesSent);
        Assert.Equal("endpoint port 0", status.LastNack?.Message);

        server.Publisher.SetApp(new AppRouting("web", AppProtocol.Http, 8080, [Apps.Release("v1", 100, endpointCount: 1)]));
        var changed = await client.ReceiveAsync();
        Assert.Equal(XdsTypeUrls.Endpoint, changed.TypeUrl);
        Assert.NotEqual(rejected.Resources[0].Version, changed.Resources[0].Version);
    }

    [Fact]
    public async Task Reconnecting_client_is_not_sent_what_it_already_holds_and_told_what_vanished()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("web", 8080, ("v1", 100), ("v2", 0)));
        string v1Version;
        await using (var first = new DeltaClient(server.NewChannel(), XdsTestServer.NodeFor("delta-1")))
        {
            await first.SendAsync(XdsTypeUrls.Cluster);
            var initial = await first.ReceiveAsync();
            v1Version = initial.Resources.Single(r => r.Name == "web/v1").Version;
        }

        await using var second = new DeltaClient(server.NewChannel(), XdsTestServer.NodeFor("delta-1"));
        await second.SendAsync(XdsTypeUrls.Cluster,
            initialVersions: new Dictionary<string, string> { ["web/v1"] = v1Version, ["old/v0"] = "abc" });
        var response = await second.ReceiveAsync();

        Assert.Equal(["web/v2"], response.Resources.Select(r => r.Name));
        Assert.Equal(["old/v0"], response.RemovedResources);
    }
}
