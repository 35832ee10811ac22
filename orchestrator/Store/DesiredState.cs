namespace Baton.Orchestrator.Store;

/// <summary>
/// What should be true for one app, written by the deploy engine BEFORE it acts, so that after a
/// crash a reconciler converges agents and data planes to it instead of redoing or losing work:
/// launch every listed instance (idempotent: same ids, same specs), stop instances of the app
/// that are not listed, serve the releases' weights over xDS and wait for the ACKs, then record
/// them with <see cref="IBatonStore.RecordAckedWeightsAsync"/>. Where the deploy itself stood
/// (phase, step, receipt) is in the deploy record named by <see cref="DeployId"/>.
/// </summary>
/// <param name="App">The app.</param>
/// <param name="Revision">
/// Optimistic concurrency: pass the revision read (0 when none was stored); the store refuses a
/// write based on an older one and stores revision + 1.
/// </param>
/// <param name="DeployId">The deploy converging to this state; null when the app is at rest.</param>
/// <param name="Releases">Every release that should have instances running, old and new, with its weight.</param>
/// <param name="AckedWeights">The last weights every data plane ACKed. Read-only here: written by <see cref="IBatonStore.RecordAckedWeightsAsync"/>.</param>
/// <param name="AckedAt">When <paramref name="AckedWeights"/> were recorded. Read-only here.</param>
/// <param name="UpdatedAt">Set by the store on every write.</param>
public sealed record DesiredState(
    string App,
    long Revision,
    string? DeployId,
    IReadOnlyList<DesiredRelease> Releases,
    IReadOnlyList<VersionWeight> AckedWeights,
    DateTimeOffset? AckedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>A new desired state for writing: the store fills acked weights and times.</summary>
    public static DesiredState Create(string app, long revision, string? deployId, IReadOnlyList<DesiredRelease> releases) =>
        new(app, revision, deployId, releases, [], null, default);

    /// <summary>The traffic split to serve, one entry per release.</summary>
    public IReadOnlyList<VersionWeight> Weights => Releases.Select(r => new VersionWeight(r.Version, r.Weight)).ToList();

    /// <summary>True when the data planes have confirmed exactly the weights that should be served.</summary>
    public bool WeightsConfirmed =>
        Weights.Where(w => w.Weight > 0).OrderBy(w => w.Version, StringComparer.Ordinal)
            .SequenceEqual(AckedWeights.Where(w => w.Weight > 0).OrderBy(w => w.Version, StringComparer.Ordinal));
}
