using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Store;

/// <summary>
/// The orchestrator's durable truth: apps, the agent inventory, artifacts, deploys and each app's
/// desired state. xDS snapshots and agent commands are derived from what is here. Implementations
/// make every write atomic; a deploy's record and its desired state change in one transaction.
/// Conflicts surface as <see cref="Grpc.Core.RpcException"/> with the status the API returns
/// (NotFound, AlreadyExists, FailedPrecondition, Aborted); arguments that the API edge should
/// already have refused (bad names) throw <see cref="ArgumentException"/>.
/// </summary>
public interface IBatonStore : IAsyncDisposable
{
    // ---------------------------------------------------------------- apps

    /// <summary>
    /// Creates or updates an app. The generation starts at 1 and grows by one whenever the spec
    /// changes; an equal spec writes nothing and reports <see cref="AppWriteOutcome.Unchanged"/>.
    /// </summary>
    Task<AppWriteResult> PutAppAsync(AppSpec spec, string source, CancellationToken cancellationToken = default);

    Task<App?> GetAppAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every app, by name.</summary>
    Task<IReadOnlyList<App>> ListAppsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the app with its deploys, desired state and artifacts (rows and files). Refused with
    /// <see cref="DeployConflictException"/> while a deploy of it is unfinished. False when there was no such app.
    /// </summary>
    Task<bool> DeleteAppAsync(string name, CancellationToken cancellationToken = default);

    // ---------------------------------------------------------------- agents

    /// <summary>
    /// Adds an agent; adding the same agent again (same address and labels) returns the stored one.
    /// AlreadyExists when the name is taken with a different address or labels.
    /// </summary>
    Task<AgentRecord> AddAgentAsync(AgentRecord agent, CancellationToken cancellationToken = default);

    Task<AgentRecord?> GetAgentAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every agent, by name.</summary>
    Task<IReadOnlyList<AgentRecord>> ListAgentsAsync(CancellationToken cancellationToken = default);

    /// <summary>False when there was no such agent.</summary>
    Task<bool> RemoveAgentAsync(string name, CancellationToken cancellationToken = default);

    // ---------------------------------------------------------------- artifacts

    /// <summary>
    /// Stores an artifact's bytes as a file in the data dir (written to a temporary file, flushed to
    /// disk, then renamed, so a crash never leaves half a file under the final name) and its
    /// metadata in the database. The same bytes again report AlreadyPresent; other bytes under an
    /// existing version are refused (AlreadyExists). NotFound when the app does not exist;
    /// InvalidArgument when <paramref name="expectedSha256"/> is given and does not match.
    /// </summary>
    Task<ArtifactWriteResult> SaveArtifactAsync(string app, string version, Stream content, string? expectedSha256, CancellationToken cancellationToken = default);

    Task<ArtifactRecord?> GetArtifactAsync(string app, string version, CancellationToken cancellationToken = default);

    /// <summary>The app's artifacts, oldest first.</summary>
    Task<IReadOnlyList<ArtifactRecord>> ListArtifactsAsync(string app, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes an artifact's row and file. FailedPrecondition while the app's desired state still
    /// holds that release (a reconciler may need to hand it to an agent again). False when absent.
    /// </summary>
    Task<bool> DeleteArtifactAsync(string app, string version, CancellationToken cancellationToken = default);

    // ---------------------------------------------------------------- deploys and desired state

    /// <summary>
    /// Records a new deploy together with the desired state it is going to converge to, in one
    /// transaction. Refused with <see cref="DeployConflictException"/> (naming it) while another
    /// deploy of the app is unfinished; AlreadyExists for a reused id; Aborted when
    /// <paramref name="desired"/> was based on a stale revision. <c>desired.DeployId</c> must be the deploy's id.
    /// </summary>
    Task<DeployWriteResult> StartDeployAsync(Deploy deploy, DesiredState desired, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="StartDeployAsync(Deploy, DesiredState, CancellationToken)"/>, saving the engine's control flags in the same transaction.</summary>
    Task<DeployWriteResult> StartDeployAsync(Deploy deploy, DesiredState desired, DeployControl? control, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a deploy's new phase, step or receipt, and when given the desired state that goes
    /// with it, in one transaction. A deploy whose phase is final (succeeded, rolled back) gets
    /// its finished time and frees the app for the next deploy. FailedPrecondition for a deploy
    /// already finished; NotFound for an unknown one; Aborted for a stale desired-state revision.
    /// </summary>
    Task<DeployWriteResult> UpdateDeployAsync(Deploy deploy, DesiredState? desired, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="UpdateDeployAsync(Deploy, DesiredState?, CancellationToken)"/>, saving the engine's control flags in the same transaction.</summary>
    Task<DeployWriteResult> UpdateDeployAsync(Deploy deploy, DesiredState? desired, DeployControl? control, CancellationToken cancellationToken = default);

    /// <summary>The engine's control flags of a deploy; null if none were saved.</summary>
    Task<DeployControl?> GetDeployControlAsync(string deployId, CancellationToken cancellationToken = default);

    Task<Deploy?> GetDeployAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The app's unfinished deploy, if any.</summary>
    Task<Deploy?> GetActiveDeployAsync(string app, CancellationToken cancellationToken = default);

    /// <summary>Every unfinished deploy: what a restarted orchestrator resumes.</summary>
    Task<IReadOnlyList<Deploy>> ListActiveDeploysAsync(CancellationToken cancellationToken = default);

    /// <summary>The app's deploys, newest first, at most <paramref name="limit"/> (0: all).</summary>
    Task<IReadOnlyList<Deploy>> ListDeploysAsync(string app, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the app's desired state outside a deploy (e.g. an instant rollback or a restart
    /// of the orchestrator at rest). Aborted when <c>desired.Revision</c> is not the stored
    /// revision (0 for none): someone else changed it since it was read.
    /// </summary>
    Task<DesiredState> SaveDesiredStateAsync(DesiredState desired, CancellationToken cancellationToken = default);

    Task<DesiredState?> GetDesiredStateAsync(string app, CancellationToken cancellationToken = default);

    /// <summary>Every app's desired state: what a reconciler converges to after a restart.</summary>
    Task<IReadOnlyList<DesiredState>> ListDesiredStatesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the weights every connected data plane has ACKed. An observation, not an intent:
    /// it does not change the revision. NotFound when the app has no desired state.
    /// </summary>
    Task RecordAckedWeightsAsync(string app, IReadOnlyList<VersionWeight> weights, CancellationToken cancellationToken = default);
}
