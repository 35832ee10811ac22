namespace Baton.Proxy.Xds;

/// <summary>The four resource types the proxy subscribes to over ADS, and the order it asks for them.</summary>
public static class XdsTypeUrl
{
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string Route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string Endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    /// <summary>CDS, EDS, LDS, RDS: what a route points at is asked for first, as Envoy does.</summary>
    public static IReadOnlyList<string> All { get; } = [Cluster, Endpoint, Listener, Route];

    /// <summary>LDS and CDS are subscribed as a whole (wildcard, complete in every response); RDS and EDS by name.</summary>
    public static bool IsWildcard(string typeUrl) => typeUrl is Listener or Cluster;

    public static string ShortName(string typeUrl) => typeUrl switch
    {
        Listener => "LDS",
        Route => "RDS",
        Cluster => "CDS",
        Endpoint => "EDS",
        _ => typeUrl,
    };
}
