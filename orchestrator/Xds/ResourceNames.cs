namespace Baton.Orchestrator.Xds;

/// <summary>
/// Resource names Baton serves. App names and versions contain no '/', so every name is unambiguous:
/// cluster and endpoints <c>app/version</c>, route <c>app/routes</c>, Envoy listener <c>app/listener</c>,
/// and the api_listener plain <c>app</c>, because proxyless gRPC clients look up the target's host name.
/// </summary>
public static class ResourceNames
{
    public static string Cluster(string app, string version) => $"{app}/{version}";

    public static string Route(string app) => $"{app}/routes";

    public static string SocketListener(string app) => $"{app}/listener";

    public static string ApiListener(string app) => app;
}
