using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>What the deploy engine asks of the agents. Every call is idempotent.</summary>
public interface IFleetOperations
{
    IReadOnlyList<FleetAgent> Agents { get; }

    Task EnsureReleaseAsync(string agent, ArtifactRef artifact, CancellationToken ct);

    Task LaunchAsync(string agent, IReadOnlyList<InstanceSpec> instances, CancellationToken ct);

    Task StopAsync(string agent, IReadOnlyList<string> instanceIds, bool remove, CancellationToken ct);

    /// <summary>The agent's instances of <paramref name="app"/>; throws Unavailable when it cannot be reached.</summary>
    Task<IReadOnlyList<InstanceStatus>> ListInstancesAsync(string agent, string app, CancellationToken ct);
}

/// <summary>An agent as the engine sees it: where its instances are reachable, and whether it is.</summary>
public sealed record FleetAgent(string Name, string Host, IReadOnlyDictionary<string, string> Labels, bool Reachable);
