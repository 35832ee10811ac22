using Baton.Orchestrator.Xds;
using Baton.Proxy.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;

namespace Baton.Proxy.Tests.Support;

/// <summary>App routing as the deploy engine states it, and the resources the orchestrator builds from it.</summary>
internal static class Routing
{
    public static AppRouting Http(string app, int publicPort, params ReleaseRouting[] releases) =>
        new(app, AppProtocol.Http, publicPort, releases);

    public static AppRouting Grpc(string app, int? publicPort, params ReleaseRouting[] releases) =>
        new(app, AppProtocol.Grpc, publicPort, releases);

    /// <summary>A release with endpoints on 127.0.0.1 at the given ports; a negative port marks the endpoint draining.</summary>
    public static ReleaseRouting Release(string version, uint weight, params int[] ports) =>
        new(version, weight, ports
            .Select(p => new EndpointRouting("127.0.0.1", Math.Abs(p), p < 0 ? Orchestrator.Xds.EndpointHealth.Draining : Orchestrator.Xds.EndpointHealth.Healthy))
            .ToList());

    /// <summary>Exactly what the orchestrator serves for these apps, decoded.</summary>
    public static XdsResources Served(params AppRouting[] apps)
    {
        var builder = new AppResourceBuilder(new XdsOptions());
        var listeners = new Dictionary<string, Listener>(StringComparer.Ordinal);
        var routes = new Dictionary<string, RouteConfiguration>(StringComparer.Ordinal);
        var clusters = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, ClusterLoadAssignment>(StringComparer.Ordinal);
        foreach (var app in apps)
        {
            var built = builder.Build(app, null, 1);
            foreach (var r in built.Of(Orchestrator.Xds.XdsTypeUrls.Listener).Values) listeners[r.Name] = Listener.Parser.ParseFrom(r.Packed.Value);
            foreach (var r in built.Of(Orchestrator.Xds.XdsTypeUrls.Route).Values) routes[r.Name] = RouteConfiguration.Parser.ParseFrom(r.Packed.Value);
            foreach (var r in built.Of(Orchestrator.Xds.XdsTypeUrls.Cluster).Values) clusters[r.Name] = Cluster.Parser.ParseFrom(r.Packed.Value);
            foreach (var r in built.Of(Orchestrator.Xds.XdsTypeUrls.Endpoint).Values) endpoints[r.Name] = ClusterLoadAssignment.Parser.ParseFrom(r.Packed.Value);
        }
        return new XdsResources(listeners, routes, clusters, endpoints);
    }
}
