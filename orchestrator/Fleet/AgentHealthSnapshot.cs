using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// What the last health check saw, with the agent's own figures from that answer.
/// </summary>
public sealed record AgentHealthSnapshot(
    AgentHealth Health,
    DateTimeOffset? LastSeen,
    string Error,
    string AgentVersion,
    TimeSpan AgentUptime)
{
    public static AgentHealthSnapshot Unknown { get; } = new(AgentHealth.Unspecified, null, "", "", TimeSpan.Zero);

    public bool IsReachable => Health == AgentHealth.Reachable;
}
