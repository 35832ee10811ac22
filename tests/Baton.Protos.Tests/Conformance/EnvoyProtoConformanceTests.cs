using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.LoadStats.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Protos.Tests.Conformance;

/// <summary>
/// Baton's hand-kept subset of the Envoy v3 API against upstream's own .proto files
/// (shipped in the pinned @grpc/grpc-js-xds package, read by tests/conformance/dump-upstream.js).
/// </summary>
public sealed class EnvoyProtoConformanceTests(UpstreamDumpFixture upstream) : IClassFixture<UpstreamDumpFixture>
{
    [Fact]
    public void Every_declared_message_enum_and_service_matches_upstream()
    {
        var dump = upstream.Dump;
        Assert.True(
            dump["errors"] is not JsonObject errors || errors.Count == 0,
            $"dump-upstream.js reported load errors: {dump["errors"]}");
        Assert.True(
            dump["missingFiles"] is not JsonArray missingFiles || missingFiles.Count == 0,
            $"upstream has no file at these paths: {dump["missingFiles"]}");

        var differences = DescriptorComparer.Compare(BatonDescriptors.UpstreamCopies, dump);

        Assert.True(
            differences.Count == 0,
            $"{differences.Count} difference(s) from upstream (@grpc/grpc-js-xds {dump["version"]}):\n  "
            + string.Join("\n  ", differences));
    }

    [Fact]
    public void The_walk_sees_every_copied_proto_file()
    {
        // Guards the reflection walk: a file that compiled but was not seen would go unchecked.
        var onDisk = Directory.EnumerateFiles(RepoPaths.Protos, "*.proto", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepoPaths.Protos, p).Replace('\\', '/'))
            .Where(p => !p.StartsWith("baton/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        var walked = BatonDescriptors.UpstreamCopies.Select(f => f.Name).ToList();

        Assert.Equal(onDisk, walked);
        Assert.Contains("envoy/config/cluster/v3/cluster.proto", walked);
        Assert.Contains("google/rpc/status.proto", walked);
    }

    [Fact]
    public void A_clean_copy_of_the_dump_gives_no_difference()
    {
        var differences = DescriptorComparer.Compare(BatonDescriptors.UpstreamCopies, UpstreamDump.DeepClone(upstream.Dump));

        Assert.Empty(differences);
    }

    public static TheoryData<string, string> Mutations => new()
    {
        { "field-number", "field envoy.config.cluster.v3.Cluster.lb_policy (#6): number is 6 in Baton, 99 upstream" },
        { "field-type", "field envoy.config.route.v3.WeightedCluster.ClusterWeight.weight (#2): type is google.protobuf.UInt32Value in Baton, google.protobuf.UInt64Value upstream" },
        { "field-label", "field envoy.service.discovery.v3.DiscoveryResponse.resources (#2): label is repeated in Baton, singular upstream" },
        { "field-oneof", "field envoy.config.route.v3.Route.route (#2): oneof is action in Baton, other upstream" },
        { "field-absent", "field envoy.config.listener.v3.Listener.api_listener (#19): upstream has no field named api_listener" },
        { "field-renamed", "field envoy.config.endpoint.v3.LbEndpoint.health_status (#2): upstream has no field named health_status; its #2 is status" },
        { "message-absent", "message envoy.config.endpoint.v3.LbEndpoint (envoy/config/endpoint/v3/endpoint_components.proto): upstream has no such type" },
        { "message-file", "message envoy.config.cluster.v3.Cluster: Baton declares it in envoy/config/cluster/v3/cluster.proto, upstream in envoy/config/cluster/v3/other.proto" },
        { "enum-number", "enum value envoy.config.core.v3.HealthStatus.DRAINING: number is 3 in Baton, 4 upstream" },
        { "enum-absent", "enum value envoy.config.cluster.v3.Cluster.DiscoveryType.EDS (= 3): upstream has no such value" },
        { "method-streaming", "method envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources: server streaming is True in Baton, False upstream" },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void The_comparer_catches_a_mutated_upstream(string mutation, string expected)
    {
        var mutated = UpstreamDump.DeepClone(upstream.Dump);
        var types = mutated["types"]!.AsObject();
        JsonObject Fields(string type) => types[type]!["fields"]!.AsObject();

        switch (mutation)
        {
            case "field-number":
                Fields("envoy.config.cluster.v3.Cluster")["lb_policy"]!["number"] = 99;
                break;
            case "field-type":
                Fields("envoy.config.route.v3.WeightedCluster.ClusterWeight")["weight"]!["type"] = "google.protobuf.UInt64Value";
                break;
            case "field-label":
                Fields("envoy.service.discovery.v3.DiscoveryResponse")["resources"]!["label"] = "singular";
                break;
            case "field-oneof":
                Fields("envoy.config.route.v3.Route")["route"]!["oneof"] = "other";
                break;
            case "field-absent":
                Fields("envoy.config.listener.v3.Listener").Remove("api_listener");
                break;
            case "field-renamed":
                var fields = Fields("envoy.config.endpoint.v3.LbEndpoint");
                var field = fields["health_status"]!;
                fields.Remove("health_status");
                fields["status"] = field;
                break;
            case "message-absent":
                types.Remove("envoy.config.endpoint.v3.LbEndpoint");
                break;
            case "message-file":
                types["envoy.config.cluster.v3.Cluster"]!["file"] = "envoy/config/cluster/v3/other.proto";
                break;
            case "enum-number":
                types["envoy.config.core.v3.HealthStatus"]!["values"]!["DRAINING"] = 4;
                break;
            case "enum-absent":
                types["envoy.config.cluster.v3.Cluster.DiscoveryType"]!["values"]!.AsObject().Remove("EDS");
                break;
            case "method-streaming":
                types["envoy.service.discovery.v3.AggregatedDiscoveryService"]!["methods"]!["StreamAggregatedResources"]!["serverStreaming"] = false;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mutation), mutation, null);
        }

        var differences = DescriptorComparer.Compare(BatonDescriptors.UpstreamCopies, mutated);

        // Exactly the one planted difference: the comparer neither misses it nor drowns it.
        Assert.Equal([expected], differences);
    }

    [Fact]
    public void Enum_values_Baton_relies_on_have_upstream_numbers()
    {
        var types = upstream.Dump["types"]!.AsObject();
        int Upstream(string enumName, string value) => types[enumName]!["values"]![value]!.GetValue<int>();

        // Baton's generated constant first (the analyzer wants constants as "expected"), upstream's number second.
        Assert.Equal(3, Upstream("envoy.config.cluster.v3.Cluster.DiscoveryType", "EDS"));
        Assert.Equal((int)Cluster.Types.DiscoveryType.Eds, Upstream("envoy.config.cluster.v3.Cluster.DiscoveryType", "EDS"));
        Assert.Equal((int)Cluster.Types.LbPolicy.RoundRobin, Upstream("envoy.config.cluster.v3.Cluster.LbPolicy", "ROUND_ROBIN"));
        Assert.Equal((int)Cluster.Types.LbPolicy.LeastRequest, Upstream("envoy.config.cluster.v3.Cluster.LbPolicy", "LEAST_REQUEST"));
        Assert.Equal((int)Cluster.Types.LbPolicy.Maglev, Upstream("envoy.config.cluster.v3.Cluster.LbPolicy", "MAGLEV"));
        Assert.Equal(3, Upstream("envoy.config.core.v3.HealthStatus", "DRAINING"));
        Assert.Equal((int)HealthStatus.Draining, Upstream("envoy.config.core.v3.HealthStatus", "DRAINING"));
        Assert.Equal((int)HealthStatus.Healthy, Upstream("envoy.config.core.v3.HealthStatus", "HEALTHY"));
        Assert.Equal((int)ApiVersion.V3, Upstream("envoy.config.core.v3.ApiVersion", "V3"));
        Assert.Equal((int)ApiConfigSource.Types.ApiType.AggregatedGrpc, Upstream("envoy.config.core.v3.ApiConfigSource.ApiType", "AGGREGATED_GRPC"));
        Assert.Equal(
            (int)HttpConnectionManager.Types.CodecType.Http2,
            Upstream("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.CodecType", "HTTP2"));
    }

    [Fact]
    public void Resources_pack_with_the_type_urls_data_planes_subscribe_to()
    {
        Assert.Equal("type.googleapis.com/envoy.config.listener.v3.Listener", Any.Pack(new Listener()).TypeUrl);
        Assert.Equal("type.googleapis.com/envoy.config.route.v3.RouteConfiguration", Any.Pack(new RouteConfiguration()).TypeUrl);
        Assert.Equal("type.googleapis.com/envoy.config.cluster.v3.Cluster", Any.Pack(new Cluster()).TypeUrl);
        Assert.Equal("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", Any.Pack(new ClusterLoadAssignment()).TypeUrl);
        Assert.Equal(
            "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            Any.Pack(new HttpConnectionManager()).TypeUrl);
        Assert.Equal("type.googleapis.com/envoy.extensions.filters.http.router.v3.Router", Any.Pack(new Router()).TypeUrl);

        Assert.Equal("envoy.service.discovery.v3.AggregatedDiscoveryService", AggregatedDiscoveryService.Descriptor.FullName);
        Assert.Equal("envoy.service.load_stats.v3.LoadReportingService", LoadReportingService.Descriptor.FullName);
    }

    [Fact]
    public void A_weighted_route_survives_the_wire_unchanged()
    {
        var route = new RouteConfiguration
        {
            Name = "web",
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = "web",
                    Domains = { "*" },
                    Routes =
                    {
                        new Route
                        {
                            Match = new RouteMatch { Prefix = "/" },
                            Route_ = new RouteAction
                            {
                                WeightedClusters = new WeightedCluster
                                {
                                    Clusters =
                                    {
                                        new WeightedCluster.Types.ClusterWeight { Name = "web-v1", Weight = 90 },
                                        new WeightedCluster.Types.ClusterWeight { Name = "web-v2", Weight = 10 },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        };

        var decoded = RouteConfiguration.Parser.ParseFrom(Any.Pack(route).Value);

        Assert.Equal(route, decoded);
        Assert.Equal(10u, decoded.VirtualHosts[0].Routes[0].Route_.WeightedClusters.Clusters[1].Weight);
    }
}
