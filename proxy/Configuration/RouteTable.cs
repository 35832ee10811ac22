namespace Baton.Proxy.Configuration;

/// <summary>A RouteConfiguration: virtual hosts chosen by the request's host, in order.</summary>
public sealed record RouteTable(string Name, IReadOnlyList<VirtualHostConfig> VirtualHosts);

/// <summary>
/// A VirtualHost: the domains it answers (exact, <c>*.suffix</c>, <c>prefix.*</c> or <c>*</c>, matched as
/// Envoy does: exact first, then the longest suffix wildcard, then prefix wildcards, then <c>*</c>)
/// and its routes, first match wins.
/// </summary>
public sealed record VirtualHostConfig(string Name, IReadOnlyList<string> Domains, IReadOnlyList<RouteConfig> Routes);

/// <summary>
/// A Route with a RouteAction: requests whose path starts with <paramref name="Prefix"/> (or equals
/// <paramref name="Path"/> when that is set) go to one of <paramref name="Clusters"/>, chosen by weight.
/// </summary>
/// <param name="Timeout">RouteAction.timeout: the whole upstream exchange; null means Envoy's default of 15 s, zero means none.</param>
/// <param name="Retry">RouteAction.retry_policy, if any.</param>
public sealed record RouteConfig(
    string Name,
    string Prefix,
    string? Path,
    IReadOnlyList<WeightedClusterChoice> Clusters,
    TimeSpan? Timeout,
    RetryConfig? Retry);

/// <summary>One entry of weighted_clusters (a plain <c>cluster</c> action is one entry of weight 1).</summary>
public sealed record WeightedClusterChoice(string ClusterName, uint Weight);

/// <summary>
/// RetryPolicy: on which conditions (retry_on) a request may be retried, and how many times in all
/// (num_retries; Envoy's 1 when unset).
/// </summary>
/// <param name="RetryOn">The conditions of retry_on the proxy obeys; the others it was given are ignored, as Envoy ignores names it does not know.</param>
public sealed record RetryConfig(RetryConditions RetryOn, uint NumRetries);
