using Baton.Orchestrator.Fleet;
using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>The deploy engine's port onto the fleet: registry for who is there, operations for what they do.</summary>
public sealed class FleetDeployOperations(AgentRegistry registry, AgentOperations operations) : IFleetOperations
{
    public IReadOnlyList<FleetAgent> Agents =>
        registry.Connections
            .Select(c => new FleetAgent(c.Name, c.Address.Host, c.Labels, c.Health.IsReachable))
            .ToList();

    public async Task EnsureReleaseAsync(string agent, ArtifactRef artifact, CancellationToken ct) =>
        await operations.EnsureReleaseAsync(agent, artifact.App, artifact.Version, artifact.Path, artifact.Sha256, ct);

    public async Task LaunchAsync(string agent, IReadOnlyList<InstanceSpec> instances, CancellationToken ct) =>
        await operations.LaunchAsync(agent, instances, ct);

    public async Task StopAsync(string agent, IReadOnlyList<string> instanceIds, bool remove, CancellationToken ct) =>
        await operations.StopAsync(agent, instanceIds, remove, ct);

    public Task<IReadOnlyList<InstanceStatus>> ListInstancesAsync(string agent, string app, CancellationToken ct) =>
        operations.ListInstancesAsync(agent, app, ct);
}
