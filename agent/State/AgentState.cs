using System.Text.Json.Serialization;
using Baton.Agent.Instances;

namespace Baton.Agent.State;

/// <summary>The state file's content.</summary>
internal sealed class AgentState
{
    public int FormatVersion { get; set; } = 1;
    public List<InstanceRecord> Instances { get; set; } = [];
}

[JsonSerializable(typeof(AgentState))]
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class AgentStateJsonContext : JsonSerializerContext;
