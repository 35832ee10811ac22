using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// What the last health check saw. <see cref="AgentStartedAt"/> (the agent's uptime subtracted
/// from the orchestrator's clock) tells one agent process run from the next.
/// </summary>
public sealed record AgentHealthSnapshot(
    AgentHealth Health,
    DateTimeOffset? LastSeen,
    string Error,
    string AgentVersion,
    DateTimeOffset? AgentStartedAt)
{
    public static AgentHealthSnapshot Unknown { get; } = new(AgentHealth.Unspecified, null, "", "", null);

    public bool IsReachable => Health == AgentHealth.Reachable;
}
