namespace Baton.Orchestrator.Store;

/// <summary>A stored release artifact (tar.gz). The bytes live in a file; the database holds this.</summary>
/// <param name="Path">Absolute path of the file, under the data dir's artifacts folder.</param>
/// <param name="Sha256">Lowercase hex sha256 of the whole file.</param>
public sealed record ArtifactRecord(string App, string Version, string Sha256, long Size, string Path, DateTimeOffset CreatedAt);
