using Baton.Orchestrator.Fleet;
using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>
/// The deploy engine's port onto the fleet: registry for who is there, operations for what they
/// do, and the registry's event stream turned into "look again" cues for the waiting runners.
/// </summary>
public sealed class FleetDeployOperations : IFleetOperations, IAsyncDisposable
{
    private readonly AgentRegistry _registry;
    private readonly AgentOperations _operations;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _events;

    public FleetDeployOperations(AgentRegistry registry, AgentOperations operations, ILogger<FleetDeployOperations> logger)
    {
        _registry = registry;
        _operations = operations;
        var subscription = registry.SubscribeEvents();
        _events = Task.Run(async () =>
        {
            using (subscription)
            {
                try
                {
                    await foreach (var e in subscription.ReadAllAsync(_stop.Token))
                        InstancesChanged?.Invoke(e.Instance?.App ?? "");
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    // shutting down
                }
                catch (Exception e)
                {
                    // Without cues the runners still poll; worth knowing, not worth stopping for.
                    logger.LogWarning(e, "Agent event stream for the deploy engine ended; runners fall back to polling");
                }
            }
        });
    }

    public event Action<string>? InstancesChanged;

    public IReadOnlyList<FleetAgent> Agents =>
        _registry.Connections
            .Select(c => new FleetAgent(c.Name, c.Address.Host, c.Labels, c.Health.IsReachable))
            .ToList();

    public async Task EnsureReleaseAsync(string agent, ArtifactRef artifact, CancellationToken ct) =>
        await _operations.EnsureReleaseAsync(agent, artifact.App, artifact.Version, artifact.Path, artifact.Sha256, ct);

    public async Task LaunchAsync(string agent, IReadOnlyList<InstanceSpec> instances, CancellationToken ct) =>
        await _operations.LaunchAsync(agent, instances, ct);

    public async Task StopAsync(string agent, IReadOnlyList<string> instanceIds, bool remove, CancellationToken ct) =>
        await _operations.StopAsync(agent, instanceIds, remove, ct);

    public Task<IReadOnlyList<InstanceStatus>> ListInstancesAsync(string agent, string app, CancellationToken ct) =>
        _operations.ListInstancesAsync(agent, app, ct);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _events;
        _stop.Dispose();
    }
}
