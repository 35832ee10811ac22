namespace Baton.Proxy.Configuration;

/// <summary>
/// A Cluster joined with its ClusterLoadAssignment (EDS): how the proxy talks to one release.
/// </summary>
/// <param name="Name">The cluster name, e.g. <c>web/v2</c>; load is reported under it.</param>
/// <param name="LoadBalancing">Cluster.lb_policy.</param>
/// <param name="ConnectTimeout">Cluster.connect_timeout (Envoy's default 5 s when unset).</param>
/// <param name="Upstream">HTTP/2 when the cluster's HttpProtocolOptions ask for it (gRPC apps), else HTTP/1.1.</param>
/// <param name="ReportsLoad">Cluster.lrs_server is set: the proxy reports this cluster's load over LRS.</param>
/// <param name="Endpoints">The assignment's endpoints, flattened over localities.</param>
public sealed record ClusterConfig(
    string Name,
    LoadBalancingPolicy LoadBalancing,
    TimeSpan ConnectTimeout,
    UpstreamProtocol Upstream,
    bool ReportsLoad,
    IReadOnlyList<EndpointConfig> Endpoints);

/// <summary>Cluster.LbPolicy values the proxy implements; any other is NACKed.</summary>
public enum LoadBalancingPolicy
{
    RoundRobin,
    LeastRequest,
}

public enum UpstreamProtocol
{
    Http1,
    Http2,
}

/// <summary>
/// One LbEndpoint. Only <see cref="EndpointHealth.Healthy"/> endpoints take new requests; a
/// <see cref="EndpointHealth.Draining"/> one keeps its in-flight requests until they finish.
/// </summary>
public sealed record EndpointConfig(string Host, int Port, EndpointHealth Health, uint Weight);

/// <summary>core.v3.HealthStatus as the proxy uses it: UNKNOWN and HEALTHY take traffic, DRAINING does not, the rest are Unhealthy.</summary>
public enum EndpointHealth
{
    Healthy,
    Draining,
    Unhealthy,
}
