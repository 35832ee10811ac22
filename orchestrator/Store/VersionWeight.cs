namespace Baton.Orchestrator.Store;

/// <summary>The share of an app's traffic (percent) a release gets.</summary>
public sealed record VersionWeight(string Version, uint Weight);
