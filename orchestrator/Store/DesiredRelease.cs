using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Store;

/// <summary>
/// A release that should be running, with the exact spec its instances run with. The spec is
/// pinned here rather than read from the app, because an app may be re-applied mid-deploy while
/// running instances must keep the spec they were launched with (the agent refuses the same
/// instance id with a different spec).
/// </summary>
/// <param name="Version">The release.</param>
/// <param name="Spec">The complete spec (defaults applied) its instances are launched from.</param>
/// <param name="SpecGeneration">The app generation <paramref name="Spec"/> came from.</param>
/// <param name="ArtifactSha256">What agents must hold for this release; empty when the release was already on the agents.</param>
/// <param name="Instances">Every instance of the release, with its agent.</param>
public sealed record DesiredRelease(
    string Version,
    AppSpec Spec,
    ulong SpecGeneration,
    string ArtifactSha256,
    IReadOnlyList<DesiredInstance> Instances);
