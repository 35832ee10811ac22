using Baton.Proxy.Configuration;

namespace Baton.Proxy.Xds;

/// <summary>
/// What <see cref="ProxyConfigTranslator"/> made of a set of resources: the config to apply, or the
/// reasons it cannot be (one per offending resource, worded for a NACK), and in both cases the names
/// the resources reference, which the ADS client subscribes to over RDS and EDS.
/// </summary>
/// <param name="Config">Null exactly when <paramref name="Errors"/> is not empty.</param>
/// <param name="RouteNames">RouteConfiguration names the socket listeners take from RDS.</param>
/// <param name="EndpointNames">EDS service names of the clusters.</param>
public sealed record TranslationResult(
    ProxyConfig? Config,
    IReadOnlyList<string> Errors,
    IReadOnlySet<string> RouteNames,
    IReadOnlySet<string> EndpointNames);
