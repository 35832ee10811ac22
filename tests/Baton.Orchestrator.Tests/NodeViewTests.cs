using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Baton.Orchestrator.Tests;

public sealed class NodeViewTests
{
    [Theory]
    [InlineData("meta-a", "", new[] { "a" }, new[] { "a/v1" })]
    [InlineData("cluster-b", "b", null, new[] { "b/v1" })]
    [InlineData("cluster-list", "a, c", null, new[] { "a/v1", "c/v1" })]
    [InlineData("cluster-star", "*", null, new[] { "a/v1", "b/v1", "c/v1" })]
    [InlineData("meta-wins", "b", new[] { "c" }, new[] { "c/v1" })]
    [InlineData("no-hint", "", null, new[] { "a/v1", "b/v1", "c/v1" })]
    [InlineData("other-cluster", "edge", null, new string[0])]
    public async Task Node_sees_the_apps_its_metadata_or_cluster_names(string id, string cluster, string[]? apps, string[] expected)
    {
        await using var server = await XdsTestServer.StartAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            server.Publisher.SetApp(Apps.Http(name, 8000 + name[0], ("v1", 100)));
        }
        await using var client = new SotwClient(server.NewChannel(), XdsTestServer.NodeFor(id, cluster, apps));

        await client.SendAsync(XdsTypeUrls.Cluster);
        var response = await client.ReceiveAsync();

        Assert.Equal(expected, response.Resources.Select(a => a.Unpack<Cluster>().Name));
    }

    [Fact]
    public async Task Comma_separated_metadata_string_is_accepted()
    {
        await using var server = await XdsTestServer.StartAsync();
        server.Publisher.SetApp(Apps.Http("a", 8081, ("v1", 100)));
        server.Publisher.SetApp(Apps.Http("b", 8082, ("v1", 100)));
        var node = new Node { Id = "n", Metadata = new Struct { Fields = { [NodeView.AppsMetadataKey] = Value.ForString("b,a") } } };
        await using var client = new SotwClient(server.NewChannel(), node);

        await client.SendAsync(XdsTypeUrls.Cluster);

        Assert.Equal(["a/v1", "b/v1"], (await client.ReceiveAsync()).Resources.Select(a => a.Unpack<Cluster>().Name));
    }

    [Fact]
    public async Task Metadata_of_the_wrong_kind_ends_that_stream_with_invalid_argument()
    {
        await using var server = await XdsTestServer.StartAsync();
        var node = new Node { Id = "bad", Metadata = new Struct { Fields = { [NodeView.AppsMetadataKey] = Value.ForNumber(7) } } };
        await using var client = new SotwClient(server.NewChannel(), node);

        await client.SendAsync(XdsTypeUrls.Cluster);
        var error = await client.ReceiveErrorAsync();

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("baton.apps", error.Status.Detail);
    }

    [Fact]
    public async Task First_request_without_node_is_rejected()
    {
        await using var server = await XdsTestServer.StartAsync();
        await using var client = new SotwClient(server.NewChannel(), null!);

        await client.SendAsync(XdsTypeUrls.Cluster);
        var error = await client.ReceiveErrorAsync();

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("must carry node", error.Status.Detail);
    }
}
