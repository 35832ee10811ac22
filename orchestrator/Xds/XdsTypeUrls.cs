namespace Baton.Orchestrator.Xds;

/// <summary>The four resource types Baton serves, in make-before-break order for additions.</summary>
public static class XdsTypeUrls
{
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string Endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string Route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

    /// <summary>CDS → EDS → LDS → RDS: what a route points at reaches the data plane first.</summary>
    public static readonly IReadOnlyList<string> PushOrder = [Cluster, Endpoint, Listener, Route];

    public static bool IsKnown(string typeUrl) =>
        typeUrl is Cluster or Endpoint or Listener or Route;

    /// <summary>LDS and CDS may be subscribed as a whole (wildcard); RDS and EDS are always named.</summary>
    public static bool AllowsWildcard(string typeUrl) => typeUrl is Cluster or Listener;

    public static string ShortName(string typeUrl) => typeUrl switch
    {
        Cluster => "CDS",
        Endpoint => "EDS",
        Listener => "LDS",
        Route => "RDS",
        _ => "unknown",
    };
}
