using Baton.Orchestrator.Xds;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>Turns the desired state and the instances' live states into what the xDS server serves.</summary>
public static class RoutingProjection
{
    /// <returns>The routing, or null when no release carries traffic (nothing to serve).</returns>
    public static AppRouting? Project(AppSpec spec, IEnumerable<ReleaseState> releases, IReadOnlyDictionary<string, LiveInstance> live)
    {
        var routed = releases
            .Select(r => new ReleaseRouting(
                r.Version,
                r.Weight,
                r.Instances
                    .Select(i => live.GetValueOrDefault(i.InstanceId))
                    .Where(l => l is { IsReady: true })
                    .Select(l => new EndpointRouting(l!.Host, (int)l.Port, r.Draining ? EndpointHealth.Draining : EndpointHealth.Healthy))
                    .OrderBy(e => e.Host, StringComparer.Ordinal).ThenBy(e => e.Port)
                    .ToList()))
            .ToList();
        if (!routed.Any(r => r.Weight > 0)) return null;
        var routing = spec.Routing ?? new RoutingSpec();
        var protocol = string.Equals(routing.Protocol, "grpc", StringComparison.OrdinalIgnoreCase) ? AppProtocol.Grpc : AppProtocol.Http;
        return new AppRouting(spec.Name, protocol, routing.PublicPort == 0 ? null : (int)routing.PublicPort, routed,
            routing.Domains.Count == 0 ? null : routing.Domains.ToList(),
            routing.RequestTimeoutMs == 0 ? null : TimeSpan.FromMilliseconds(routing.RequestTimeoutMs),
            routing.Retries);
    }
}
