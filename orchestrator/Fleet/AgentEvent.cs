using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Fleet;

public enum AgentEventKind
{
    /// <summary>An instance lifecycle event from the agent; <see cref="AgentEvent.Instance"/> is set.</summary>
    Instance,

    /// <summary>
    /// Events of this agent may have been missed (the agent restarted, or the gap outlived its
    /// replay buffer). The consumer must re-read the agent's state with ListInstances instead
    /// of relying on the events it saw.
    /// </summary>
    EventsMissed,

    /// <summary>The agent answers health checks (again).</summary>
    Reachable,

    /// <summary>The agent stopped answering; <see cref="AgentEvent.Detail"/> holds the error.</summary>
    Unreachable,
}

/// <summary>One item of the fleet's event stream, tagged with the agent it concerns.</summary>
public sealed record AgentEvent(string Agent, AgentEventKind Kind, InstanceEvent? Instance, string Detail)
{
    public static AgentEvent FromInstance(string agent, InstanceEvent instance) => new(agent, AgentEventKind.Instance, instance, "");

    public static AgentEvent Missed(string agent, string why) => new(agent, AgentEventKind.EventsMissed, null, why);

    public static AgentEvent BecameReachable(string agent) => new(agent, AgentEventKind.Reachable, null, "");

    public static AgentEvent BecameUnreachable(string agent, string error) => new(agent, AgentEventKind.Unreachable, null, error);
}
