using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Fleet;

/// <summary>The release as the agent now holds it; <see cref="Uploaded"/> is false when it was there already.</summary>
public sealed record EnsureReleaseResult(Release Release, bool Uploaded);
