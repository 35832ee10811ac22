namespace Baton.Orchestrator.Store;

/// <summary>The stored artifact, and whether the same bytes were already there.</summary>
public sealed record ArtifactWriteResult(ArtifactRecord Artifact, bool AlreadyPresent);
