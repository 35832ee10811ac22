using Baton.Protos.Agent.V1;

namespace Baton.Agent.Instances;

/// <summary>What the state file keeps per instance so the next agent process can take it over.</summary>
internal sealed class InstanceRecord
{
    /// <summary>The spec as protobuf bytes: exact, and immune to JSON naming drift.</summary>
    public string SpecBase64 { get; set; } = "";
    public int Port { get; set; }
    public int Pid { get; set; }
    public ulong StartTimeTicks { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public uint Restarts { get; set; }
    public bool WantRunning { get; set; }
    public InstanceState State { get; set; }
    public string Message { get; set; } = "";

    public InstanceSpec ReadSpec() => InstanceSpec.Parser.ParseFrom(Convert.FromBase64String(SpecBase64));
}
