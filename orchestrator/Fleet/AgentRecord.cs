namespace Baton.Orchestrator.Fleet;

/// <summary>One inventory entry: what an operator registered with `baton agent add`. Health is not part of it (it is observed, not stored).</summary>
public sealed record AgentRecord(string Name, AgentAddress Address, IReadOnlyDictionary<string, string> Labels);
