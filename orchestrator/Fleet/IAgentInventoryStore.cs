namespace Baton.Orchestrator.Fleet;

/// <summary>
/// Where the agent inventory persists, so the orchestrator knows its agents again after a restart.
/// The registry validates and serialises every change before calling the store; a store only
/// persists. Save is an upsert keyed by <see cref="AgentRecord.Name"/>; Delete of an unknown name
/// is not an error.
/// </summary>
public interface IAgentInventoryStore
{
    Task<IReadOnlyList<AgentRecord>> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(AgentRecord agent, CancellationToken cancellationToken);

    Task DeleteAsync(string name, CancellationToken cancellationToken);
}
