using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>An instance as last reported by its agent.</summary>
public sealed record LiveInstance(string Agent, string Host, uint Port, InstanceState State, string Message, uint Restarts)
{
    public bool IsReady => State == InstanceState.Ready;

    /// <summary>It will not become ready by waiting: it gave up, or exited for good.</summary>
    public bool HasFailed => State is InstanceState.CrashLooping or InstanceState.Exited;
}
