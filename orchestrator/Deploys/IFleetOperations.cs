using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>What the deploy engine asks of the agents. Every call is idempotent.</summary>
public interface IFleetOperations
{
    IReadOnlyList<FleetAgent> Agents { get; }

    /// <summary>
    /// Raised with the app's name when an agent reports a change of one of its instances (or an
    /// agent's reachability changes, with an empty name): a cue to look again, not the truth,
    /// which is always re-read with <see cref="ListInstancesAsync"/>.
    /// </summary>
    event Action<string>? InstancesChanged;

    Task EnsureReleaseAsync(string agent, ArtifactRef artifact, CancellationToken ct);

    Task LaunchAsync(string agent, IReadOnlyList<InstanceSpec> instances, CancellationToken ct);

    Task StopAsync(string agent, IReadOnlyList<string> instanceIds, bool remove, CancellationToken ct);

    /// <summary>The agent's instances of <paramref name="app"/>; throws Unavailable when it cannot be reached.</summary>
    Task<IReadOnlyList<InstanceStatus>> ListInstancesAsync(string agent, string app, CancellationToken ct);
}

/// <summary>An agent as the engine sees it: where its instances are reachable, and whether it is.</summary>
public sealed record FleetAgent(string Name, string Host, IReadOnlyDictionary<string, string> Labels, bool Reachable);
