using System.Text.Json.Serialization;

namespace Baton.Orchestrator.Store;

/// <summary>JSON for the store's small columns (labels, weights), generated at compile time so trimming cannot break it.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<VersionWeight>))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
