using Baton.Protos.Agent.V1;
using Google.Protobuf.Reflection;
using OrchestratorInstance = Baton.Protos.Orchestrator.V1.Instance;

namespace Baton.Orchestrator.Fleet;

/// <summary>An agent's view of an instance, as the orchestrator's API shows it.</summary>
public static class InstanceMapping
{
    public static OrchestratorInstance ToOrchestrator(string agent, InstanceStatus status) => new()
    {
        Agent = agent,
        InstanceId = status.Spec?.InstanceId ?? "",
        App = status.Spec?.App ?? "",
        Version = status.Spec?.Version ?? "",
        State = StateName(status.State),
        Pid = status.Pid,
        Port = status.Port,
        UptimeSeconds = status.UptimeSeconds,
        Restarts = status.Restarts,
        CpuPercent = status.CpuPercent,
        RssBytes = status.RssBytes,
        Message = status.Message,
    };

    /// <summary>"ready", "crash_looping", …: the proto enum's name without its prefix, so new states need no code here.</summary>
    public static string StateName(InstanceState state)
    {
        const string prefix = "INSTANCE_STATE_";
        var name = AgentReflection.Descriptor.FindTypeByName<EnumDescriptor>("InstanceState")?.FindValueByNumber((int)state)?.Name ?? $"{prefix}{(int)state}";
        return (name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name).ToLowerInvariant();
    }
}
