using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// What the last health check saw, with the agent's own figures from that answer:
/// <paramref name="AgentRunId"/> changes whenever the agent process restarts (empty from agents
/// that predate run ids), and <paramref name="AgentLastEventSequence"/> is the last event that run
/// had published when it answered.
/// </summary>
public sealed record AgentHealthSnapshot(
    AgentHealth Health,
    DateTimeOffset? LastSeen,
    string Error,
    string AgentVersion,
    TimeSpan AgentUptime,
    string AgentRunId,
    ulong AgentLastEventSequence)
{
    public static AgentHealthSnapshot Unknown { get; } = new(AgentHealth.Unspecified, null, "", "", TimeSpan.Zero, "", 0);

    public bool IsReachable => Health == AgentHealth.Reachable;
}
