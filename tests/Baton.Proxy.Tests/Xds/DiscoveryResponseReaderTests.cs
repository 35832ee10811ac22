using Baton.Proxy.Tests.Support;
using Baton.Proxy.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Proxy.Tests.Xds;

public sealed class DiscoveryResponseReaderTests
{
    private static readonly IReadOnlySet<string> Nothing = new HashSet<string>();

    private static DiscoveryResponse Response(string typeUrl, params IMessage[] resources)
    {
        var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = "1", Nonce = "1" };
        foreach (var resource in resources) response.Resources.Add(Any.Pack(resource));
        return response;
    }

    [Fact]
    public void A_cds_response_is_the_whole_set()
    {
        var held = Routing.Served(Routing.Http("web", 18080, Routing.Release("v1", 100, 21001)));
        var errors = new List<string>();

        var merged = DiscoveryResponseReader.Merge(held, Response(XdsTypeUrl.Cluster, new Cluster { Name = "api/v1" }), Nothing, errors);

        Assert.Empty(errors);
        Assert.Equal(["api/v1"], merged.Clusters.Keys);
        Assert.Same(held.Listeners, merged.Listeners);
    }

    [Fact]
    public void An_eds_response_updates_what_it_carries_and_keeps_only_subscribed_names()
    {
        var held = Routing.Served(Routing.Http("web", 18080, Routing.Release("v1", 100, 21001), Routing.Release("v2", 0, 21002)));
        var errors = new List<string>();
        var subscribed = new HashSet<string> { "web/v1", "web/v3" };

        var merged = DiscoveryResponseReader.Merge(held,
            Response(XdsTypeUrl.Endpoint, new ClusterLoadAssignment { ClusterName = "web/v3" }, new ClusterLoadAssignment { ClusterName = "other/v1" }),
            subscribed, errors);

        Assert.Empty(errors);
        Assert.Equal(["web/v1", "web/v3"], merged.Endpoints.Keys.Order());
        Assert.Same(held.Endpoints["web/v1"], merged.Endpoints["web/v1"]);
    }

    [Fact]
    public void Undecodable_mistyped_nameless_and_duplicate_resources_are_errors()
    {
        var response = Response(XdsTypeUrl.Cluster, new Cluster { Name = "a" }, new Cluster { Name = "a" }, new Cluster(), new ClusterLoadAssignment { ClusterName = "b" });
        response.Resources.Add(new Any { TypeUrl = XdsTypeUrl.Cluster, Value = ByteString.CopyFrom(0x0A, 0x09) });
        var errors = new List<string>();

        DiscoveryResponseReader.Merge(XdsResources.Empty, response, Nothing, errors);

        Assert.Equal(4, errors.Count);
        Assert.Contains("resource 'a' appears twice", errors);
        Assert.Contains("resource #2 has no name", errors);
        Assert.Contains(errors, e => e.StartsWith("resource #3 is a type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("resource #4 cannot be decoded", StringComparison.Ordinal));
    }
}
