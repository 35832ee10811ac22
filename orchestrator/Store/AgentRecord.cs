namespace Baton.Orchestrator.Store;

/// <summary>An agent of the inventory: how to reach it and the labels placements select it by.</summary>
/// <param name="Name">Unique; follows the name rule.</param>
/// <param name="Address">host:port of its gRPC endpoint.</param>
/// <param name="Labels">E.g. zone=eu-1.</param>
/// <param name="AddedAt">Set by the store when the agent is added.</param>
public sealed record AgentRecord(string Name, string Address, IReadOnlyDictionary<string, string> Labels, DateTimeOffset AddedAt)
{
    /// <summary>Same agent as far as the inventory is concerned: address and labels equal (the time aside).</summary>
    public bool SameAs(AgentRecord other) =>
        Name == other.Name
        && Address == other.Address
        && Labels.Count == other.Labels.Count
        && Labels.All(l => other.Labels.TryGetValue(l.Key, out var v) && v == l.Value);
}
