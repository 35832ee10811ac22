using Baton.Orchestrator.Fleet;
using Baton.Orchestrator.Store;

namespace Baton.Orchestrator.Hosting;

/// <summary>The fleet's agent inventory, kept in the orchestrator's store so it survives restarts.</summary>
public sealed class StoreAgentInventory(IBatonStore store, TimeProvider time) : IAgentInventoryStore
{
    public async Task<IReadOnlyList<Fleet.AgentRecord>> LoadAsync(CancellationToken cancellationToken) =>
        (await store.ListAgentsAsync(cancellationToken))
            .Select(a => new Fleet.AgentRecord(a.Name, AgentAddress.Parse(a.Address), a.Labels))
            .ToList();

    public async Task SaveAsync(Fleet.AgentRecord agent, CancellationToken cancellationToken)
    {
        // The store refuses a changed record under the same name; the registry has checked for that.
        if (await store.GetAgentAsync(agent.Name, cancellationToken) is not null) await store.RemoveAgentAsync(agent.Name, cancellationToken);
        await store.AddAgentAsync(new Store.AgentRecord(agent.Name, agent.Address.ToString(), agent.Labels, time.GetUtcNow()), cancellationToken);
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken) => await store.RemoveAgentAsync(name, cancellationToken);
}
