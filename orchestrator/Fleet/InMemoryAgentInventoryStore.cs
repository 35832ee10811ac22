namespace Baton.Orchestrator.Fleet;

/// <summary>An inventory that lives as long as the process: for tests, and the default until a durable store is registered.</summary>
public sealed class InMemoryAgentInventoryStore : IAgentInventoryStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AgentRecord> _agents = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<AgentRecord>> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_lock) return Task.FromResult<IReadOnlyList<AgentRecord>>(_agents.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ToList());
    }

    public Task SaveAsync(AgentRecord agent, CancellationToken cancellationToken)
    {
        lock (_lock) _agents[agent.Name] = agent;
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        lock (_lock) _agents.Remove(name);
        return Task.CompletedTask;
    }
}
