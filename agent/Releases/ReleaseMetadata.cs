namespace Baton.Agent.Releases;

/// <summary>
/// What the store remembers about a release beside its folder. Its presence is what makes a
/// release folder count as committed: a folder without it is a leftover of an interrupted upload.
/// </summary>
internal sealed record ReleaseMetadata(string App, string Version, string Sha256, long Size, DateTimeOffset CreatedAt);
