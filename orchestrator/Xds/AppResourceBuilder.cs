using System.Collections.Frozen;
using System.Security.Cryptography;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Endpoint = Envoy.Config.Endpoint.V3.Endpoint;
using Route = Envoy.Config.Route.V3.Route;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// Turns an app's routing into Envoy v3 resources that both Envoy and proxyless gRPC clients accept:
/// one EDS cluster per release (endpoints over ADS, load reports to this server), its
/// ClusterLoadAssignment, one RouteConfiguration with weighted_clusters, and the app's listeners.
/// </summary>
public sealed class AppResourceBuilder
{
    private const string HttpConnectionManagerFilter = "envoy.filters.network.http_connection_manager";
    private const string RouterFilter = "envoy.filters.http.router";
    private const string HttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    // HttpProtocolOptions{explicit_http_config{http2_protocol_options{}}}, hand-encoded because Baton's
    // proto subset does not declare the upstreams extension: field 3 (len 2) holding field 2 (len 0).
    private static readonly ByteString Http2UpstreamOptions = ByteString.CopyFrom(0x1A, 0x02, 0x12, 0x00);

    private readonly XdsOptions _options;

    public AppResourceBuilder(XdsOptions options)
    {
        _options = options;
    }

    /// <summary>
    /// Builds the app's resources. A resource whose bytes equal the one in <paramref name="previous"/>
    /// is reused as is (same object, same generation), so it is neither re-serialized nor re-sent.
    /// </summary>
    public AppResources Build(AppRouting app, AppResources? previous, long generation)
    {
        var clusters = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        var listeners = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        var routes = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        var noReferences = FrozenSet<string>.Empty;

        foreach (var release in app.Releases)
        {
            var clusterName = ResourceNames.Cluster(app.Name, release.Version);
            Add(clusters, XdsTypeUrls.Cluster, clusterName, BuildCluster(app, clusterName), noReferences, true);
            Add(endpoints, XdsTypeUrls.Endpoint, clusterName, BuildLoadAssignment(clusterName, release), noReferences, true,
                takesNewRequests: release.Endpoints.Any(e => e.Health == EndpointHealth.Healthy));
        }

        var routeName = ResourceNames.Route(app.Name);
        var weighted = app.Releases.Where(r => r.Weight > 0).ToList();
        Add(routes, XdsTypeUrls.Route, routeName, BuildRoute(app, routeName, weighted),
            weighted.Select(r => ResourceNames.Cluster(app.Name, r.Version)).ToFrozenSet(StringComparer.Ordinal), true);

        var routeReference = new[] { routeName }.ToFrozenSet(StringComparer.Ordinal);
        if (app.PublicPort is { } port)
        {
            var name = ResourceNames.SocketListener(app.Name);
            Add(listeners, XdsTypeUrls.Listener, name, BuildSocketListener(app, name, routeName, port), routeReference, true);
        }
        if (app.Protocol == AppProtocol.Grpc)
        {
            var name = ResourceNames.ApiListener(app.Name);
            Add(listeners, XdsTypeUrls.Listener, name, BuildApiListener(app, name, routeName), routeReference, false);
        }

        return new AppResources(app, new Dictionary<string, IReadOnlyDictionary<string, CachedResource>>
        {
            [XdsTypeUrls.Cluster] = clusters,
            [XdsTypeUrls.Endpoint] = endpoints,
            [XdsTypeUrls.Listener] = listeners,
            [XdsTypeUrls.Route] = routes,
        });

        void Add(Dictionary<string, CachedResource> into, string typeUrl, string name, IMessage message,
            IReadOnlySet<string> references, bool servedToWildcard, bool takesNewRequests = true)
        {
            _options.EditBuiltResource?.Invoke(message);
            var packed = Any.Pack(message);
            var version = Convert.ToHexStringLower(SHA256.HashData(packed.Value.Span), 0, 8);
            if (previous is not null
                && previous.Of(typeUrl).TryGetValue(name, out var unchanged)
                && unchanged.Version == version)
            {
                into[name] = unchanged;
                return;
            }
            into[name] = new CachedResource(typeUrl, name, app.Name, packed, version, generation, references, servedToWildcard)
            {
                TakesNewRequests = takesNewRequests,
            };
        }
    }

    private Cluster BuildCluster(AppRouting app, string clusterName)
    {
        var cluster = new Cluster
        {
            Name = clusterName,
            Type = Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Cluster.Types.EdsClusterConfig
            {
                EdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
                ServiceName = clusterName,
            },
            ConnectTimeout = Duration.FromTimeSpan(_options.ConnectTimeout),
            LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
            // Load reports come back to the server that sent the cluster: the deploy analysis reads them.
            LrsServer = new ConfigSource { Self = new SelfConfigSource { TransportApiVersion = ApiVersion.V3 } },
        };
        if (app.Protocol == AppProtocol.Grpc)
        {
            cluster.TypedExtensionProtocolOptions[HttpProtocolOptionsKey] = new Any
            {
                TypeUrl = "type.googleapis.com/" + HttpProtocolOptionsKey,
                Value = Http2UpstreamOptions,
            };
        }
        return cluster;
    }

    private static ClusterLoadAssignment BuildLoadAssignment(string clusterName, ReleaseRouting release)
    {
        var assignment = new ClusterLoadAssignment { ClusterName = clusterName };
        if (release.Endpoints.Count == 0)
        {
            return assignment;
        }
        // gRPC ignores localities without a weight, so the single locality carries one.
        var locality = new LocalityLbEndpoints { Locality = new Locality(), LoadBalancingWeight = 1 };
        foreach (var endpoint in release.Endpoints)
        {
            locality.LbEndpoints.Add(new LbEndpoint
            {
                Endpoint = new Endpoint
                {
                    Address = new Address
                    {
                        SocketAddress = new SocketAddress { Address = endpoint.Host, PortValue = (uint)endpoint.Port },
                    },
                },
                HealthStatus = endpoint.Health == EndpointHealth.Draining ? HealthStatus.Draining : HealthStatus.Healthy,
            });
        }
        assignment.Endpoints.Add(locality);
        return assignment;
    }

    private static RouteConfiguration BuildRoute(AppRouting app, string routeName, IReadOnlyList<ReleaseRouting> weighted)
    {
        var split = new WeightedCluster();
        foreach (var release in weighted)
        {
            split.Clusters.Add(new WeightedCluster.Types.ClusterWeight
            {
                Name = ResourceNames.Cluster(app.Name, release.Version),
                Weight = release.Weight,
            });
        }
        var action = new RouteAction { WeightedClusters = split };
        if (app.RequestTimeout is { } timeout) action.Timeout = Duration.FromTimeSpan(timeout);
        if (app.Retries > 0)
        {
            // Only failures before the app saw the request: retrying what an app may have acted on
            // (a 5xx to a POST) is the app's decision, not the router's.
            action.RetryPolicy = new RetryPolicy { RetryOn = "connect-failure,refused-stream,reset", NumRetries = app.Retries };
        }
        var virtualHost = new VirtualHost
        {
            Name = app.Name,
            Routes = { new Route { Name = "all", Match = new RouteMatch { Prefix = "/" }, Route_ = action } },
        };
        virtualHost.Domains.AddRange(Domains(app));
        return new RouteConfiguration { Name = routeName, VirtualHosts = { virtualHost } };
    }

    /// <remarks>
    /// Each app has its own listener and route, so by default the host header needs no match (<c>*</c>).
    /// Proxyless gRPC clients match the domains against the name they dial (xds:///app), so a gRPC app
    /// with its own domains also answers to its name.
    /// </remarks>
    private static IEnumerable<string> Domains(AppRouting app)
    {
        if (app.Domains is not { Count: > 0 } domains) return ["*"];
        if (app.Protocol == AppProtocol.Grpc && !domains.Contains("*") && !domains.Contains(app.Name))
            return [.. domains, app.Name];
        return domains;
    }

    private static HttpConnectionManager BuildConnectionManager(AppRouting app, string routeName, bool atTheEdge) => new()
    {
        // gRPC clients speak cleartext HTTP/2 with prior knowledge. Envoy's AUTO would sniff the preface,
        // but baton-proxy's Kestrel cannot on a cleartext port (AUTO means HTTP/1.1 there), so gRPC apps
        // say HTTP2 outright; proxyless gRPC clients ignore codec_type.
        CodecType = app.Protocol == AppProtocol.Grpc
            ? HttpConnectionManager.Types.CodecType.Http2
            : HttpConnectionManager.Types.CodecType.Auto,
        StatPrefix = app.Name,
        Rds = new Rds
        {
            ConfigSource = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
            RouteConfigName = routeName,
        },
        // The router must be the last filter; proxyless gRPC rejects a chain that does not end with it.
        HttpFilters = { new HttpFilter { Name = RouterFilter, TypedConfig = Any.Pack(new Router()) } },
        // The public port is where clients connect: the peer is the client, so the app hears of it in
        // x-forwarded-for, and an x-forwarded-proto the client sent is not believed. A proxyless
        // client's api_listener proxies nothing, so it leaves the setting unset.
        UseRemoteAddress = atTheEdge ? true : null,
    };

    private Listener BuildSocketListener(AppRouting app, string name, string routeName, int port) => new()
    {
        Name = name,
        Address = new Address
        {
            SocketAddress = new SocketAddress { Address = _options.PublicListenerAddress, PortValue = (uint)port },
        },
        FilterChains =
        {
            new FilterChain
            {
                Filters =
                {
                    new Filter { Name = HttpConnectionManagerFilter, TypedConfig = Any.Pack(BuildConnectionManager(app, routeName, atTheEdge: true)) },
                },
            },
        },
    };

    private static Listener BuildApiListener(AppRouting app, string name, string routeName) => new()
    {
        Name = name,
        ApiListener = new ApiListener { ApiListener_ = Any.Pack(BuildConnectionManager(app, routeName, atTheEdge: false)) },
    };
}
