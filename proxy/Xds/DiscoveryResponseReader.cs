using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Baton.Proxy.Xds;

/// <summary>
/// Decodes a state-of-the-world DiscoveryResponse into what the proxy would hold if it accepted it: for LDS
/// and CDS the response is the whole set (omission means removal); for RDS and EDS it updates the named
/// resources it carries, and only those the proxy subscribes to are kept.
/// </summary>
public static class DiscoveryResponseReader
{
    /// <param name="subscribed">The names the proxy asks for (RDS and EDS); ignored for wildcard types.</param>
    /// <param name="errors">Receives one message per resource that cannot be decoded.</param>
    public static XdsResources Merge(XdsResources held, DiscoveryResponse response, IReadOnlySet<string> subscribed, List<string> errors) =>
        response.TypeUrl switch
        {
            XdsTypeUrl.Listener => held with { Listeners = Read(response, Listener.Parser, l => l.Name, null, null, errors) },
            XdsTypeUrl.Cluster => held with { Clusters = Read(response, Cluster.Parser, c => c.Name, null, null, errors) },
            XdsTypeUrl.Route => held with { Routes = Read(response, RouteConfiguration.Parser, r => r.Name, held.Routes, subscribed, errors) },
            XdsTypeUrl.Endpoint => held with { Endpoints = Read(response, ClusterLoadAssignment.Parser, a => a.ClusterName, held.Endpoints, subscribed, errors) },
            _ => throw new ArgumentException($"type {response.TypeUrl} is not one the proxy subscribes to", nameof(response)),
        };

    private static Dictionary<string, T> Read<T>(
        DiscoveryResponse response, MessageParser<T> parser, Func<T, string> nameOf,
        IReadOnlyDictionary<string, T>? held, IReadOnlySet<string>? subscribed, List<string> errors)
        where T : IMessage<T>
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        if (held is not null)
        {
            foreach (var (name, resource) in held)
            {
                if (subscribed!.Contains(name)) result[name] = resource;
            }
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < response.Resources.Count; i++)
        {
            var any = response.Resources[i];
            if (any.TypeUrl != response.TypeUrl)
            {
                errors.Add($"resource #{i} is a {any.TypeUrl} in a {response.TypeUrl} response");
                continue;
            }
            T resource;
            try
            {
                resource = parser.ParseFrom(any.Value);
            }
            catch (InvalidProtocolBufferException e)
            {
                errors.Add($"resource #{i} cannot be decoded: {e.Message}");
                continue;
            }
            var name = nameOf(resource);
            if (string.IsNullOrEmpty(name))
            {
                errors.Add($"resource #{i} has no name");
                continue;
            }
            if (!seen.Add(name))
            {
                errors.Add($"resource '{name}' appears twice");
                continue;
            }
            if (subscribed is not null && !subscribed.Contains(name))
            {
                continue; // sent before the server saw our unsubscription: not ours to hold
            }
            result[name] = resource;
        }
        return result;
    }
}
