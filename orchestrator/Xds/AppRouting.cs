namespace Baton.Orchestrator.Xds;

/// <summary>How clients reach an app: plain HTTP through Envoy, or gRPC (Envoy and proxyless clients).</summary>
public enum AppProtocol
{
    Http,
    Grpc,
}

/// <summary>
/// Everything the xDS server needs to route one app: its live releases with their traffic weights
/// and ready endpoints, and its routing shape. The deploy engine derives this from the store.
/// </summary>
/// <param name="Name">App name; becomes the api_listener name proxyless clients dial (xds:///name).</param>
/// <param name="Protocol">Routing shape; gRPC apps also get an api_listener for proxyless clients.</param>
/// <param name="PublicPort">Port Envoy listens on for the app, or null for no socket listener.</param>
/// <param name="Releases">Live releases; at least one must carry a positive weight.</param>
/// <param name="Domains">The virtual host's domains (routing.domains); null or empty means <c>*</c>.</param>
/// <param name="RequestTimeout">RouteAction.timeout for every request (routing.request_timeout); null leaves the data plane's default.</param>
/// <param name="Retries">Retries on connect failure or reset (routing.retries); 0 for no retry policy.</param>
public sealed record AppRouting(
    string Name,
    AppProtocol Protocol,
    int? PublicPort,
    IReadOnlyList<ReleaseRouting> Releases,
    IReadOnlyList<string>? Domains = null,
    TimeSpan? RequestTimeout = null,
    uint Retries = 0);
