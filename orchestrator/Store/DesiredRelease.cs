using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Store;

/// <summary>
/// A release that should be running, with its share of traffic and the exact spec its instances
/// run with. The spec is pinned here rather than read from the app, because an app may be
/// re-applied mid-deploy while running instances must keep the spec they were launched with (the
/// agent refuses the same instance id with a different spec).
/// </summary>
/// <param name="Version">The release.</param>
/// <param name="Weight">Percent of traffic to serve it; the releases' weights add up to 100, or to 0 before anything is routed.</param>
/// <param name="Spec">The complete spec (defaults applied) its instances are launched from.</param>
/// <param name="SpecGeneration">The app generation <paramref name="Spec"/> came from.</param>
/// <param name="ArtifactSha256">What agents must hold for this release; empty when the release was already on the agents.</param>
/// <param name="Instances">Every instance of the release, with its agent.</param>
/// <param name="Draining">Its endpoints take no new requests; in-flight ones finish.</param>
/// <param name="RetireAfter">Kept warm at 0 % for an instant rollback until then; retired after. Null: no such deadline.</param>
public sealed record DesiredRelease(
    string Version,
    uint Weight,
    AppSpec Spec,
    ulong SpecGeneration,
    string ArtifactSha256,
    IReadOnlyList<DesiredInstance> Instances,
    bool Draining = false,
    DateTimeOffset? RetireAfter = null);
