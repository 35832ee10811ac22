using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>
/// What the deploy engine needs from the store. A deploy's record, its control flags and the
/// app's desired state are always saved together, in one transaction, so a crash never leaves
/// one ahead of the other.
/// </summary>
public interface IDeployRepository
{
    Task<AppSpec?> GetAppAsync(string app, CancellationToken ct);

    Task<ArtifactRef?> GetArtifactAsync(string app, string version, CancellationToken ct);

    Task<DesiredAppState?> GetDesiredAsync(string app, CancellationToken ct);

    Task<IReadOnlyList<DesiredAppState>> ListDesiredAsync(CancellationToken ct);

    /// <summary>The deploy of the app that has not finished, with its control flags.</summary>
    Task<DeployRecord?> GetActiveDeployAsync(string app, CancellationToken ct);

    Task<IReadOnlyList<DeployRecord>> ListActiveDeploysAsync(CancellationToken ct);

    Task<IReadOnlyList<Deploy>> ListDeploysAsync(string app, int limit, CancellationToken ct);

    /// <summary>Stores a new deploy; throws FailedPrecondition naming the running one if the app has one.</summary>
    Task CreateDeployAsync(DeployRecord record, DesiredAppState desired, CancellationToken ct);

    Task SaveAsync(DeployRecord record, DesiredAppState desired, CancellationToken ct);

    Task SaveDesiredAsync(DesiredAppState desired, CancellationToken ct);
}

/// <summary>A deploy's public record and the engine's private bookkeeping for it.</summary>
public sealed record DeployRecord(Deploy Deploy, DeployControl Control);

/// <summary>Where an uploaded artifact lives on the orchestrator's disk.</summary>
public sealed record ArtifactRef(string App, string Version, string Path, string Sha256);
