using System.Text.Json.Serialization;

namespace Baton.Agent.Releases;

/// <summary>Source-generated so the metadata files stay readable when the agent is trimmed or AOT-compiled.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ReleaseMetadata))]
internal sealed partial class ReleaseJsonContext : JsonSerializerContext;
