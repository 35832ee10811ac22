using Baton.Proxy.Configuration;

namespace Baton.Proxy.Tests.Support;

/// <summary>Short ways to write the ProxyConfigs the tests apply.</summary>
internal static class TestConfigs
{
    public static EndpointConfig Endpoint(int port, EndpointHealth health = EndpointHealth.Healthy, uint weight = 1) =>
        new("127.0.0.1", port, health, weight);

    public static ClusterConfig Cluster(
        string name,
        IEnumerable<EndpointConfig> endpoints,
        LoadBalancingPolicy policy = LoadBalancingPolicy.RoundRobin,
        UpstreamProtocol upstream = UpstreamProtocol.Http1) =>
        new(name, policy, TimeSpan.FromSeconds(5), upstream, ReportsLoad: true, [.. endpoints]);

    public static ClusterConfig Cluster(string name, params TestBackend[] backends) =>
        Cluster(name, backends.Select(b => Endpoint(b.Port)));

    /// <summary>One virtual host answering every domain, one route for every path, split by weight.</summary>
    public static RouteTable Split(params (string Cluster, uint Weight)[] clusters) =>
        new("routes", [new VirtualHostConfig("all", ["*"], [Route("all", "/", clusters)])]);

    /// <summary>Like <see cref="Split"/>, with a retry policy on the route.</summary>
    public static RouteTable SplitWithRetries(RetryConfig retry, params (string Cluster, uint Weight)[] clusters) =>
        new("routes", [new VirtualHostConfig("all", ["*"], [Route("all", "/", clusters) with { Retry = retry }])]);

    public static RouteConfig Route(string name, string prefix, params (string Cluster, uint Weight)[] clusters) =>
        new(name, prefix, null, [.. clusters.Select(c => new WeightedClusterChoice(c.Cluster, c.Weight))], null, null);

    public static ListenerConfig Listener(
        int port, RouteTable routes, DownstreamCodec codec = DownstreamCodec.Http1, string name = "app/listener", ForwardedHeadersConfig? forwardedHeaders = null) =>
        new(name, "0.0.0.0", port, codec, routes, forwardedHeaders ?? ForwardedHeadersConfig.EnvoyDefault);

    public static ProxyConfig Config(IEnumerable<ListenerConfig> listeners, params ClusterConfig[] clusters) =>
        new([.. listeners], clusters.ToDictionary(c => c.Name, StringComparer.Ordinal));

    public static ProxyConfig Config(ListenerConfig listener, params ClusterConfig[] clusters) => Config([listener], clusters);
}
