using System.Collections.Concurrent;
using Baton.Orchestrator.Store;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Orchestrator.Deploys;

/// <summary>
/// The deploy engine's view of the store. The engine works on a mutable <see cref="DesiredAppState"/>;
/// the store keeps typed rows with an optimistic revision. The engine is the only writer of an
/// app's desired state (one runner per app, the idle reconciler under the same lock), so the
/// revision last read or written is remembered here and passed back on the next write.
/// </summary>
public sealed class StoreDeployRepository(IBatonStore store) : IDeployRepository
{
    private readonly ConcurrentDictionary<string, long> _revisions = new(StringComparer.Ordinal);

    public async Task<AppSpec?> GetAppAsync(string app, CancellationToken ct) => (await store.GetAppAsync(app, ct))?.Spec;

    public async Task<ArtifactRef?> GetArtifactAsync(string app, string version, CancellationToken ct) =>
        await store.GetArtifactAsync(app, version, ct) is { } a ? new ArtifactRef(a.App, a.Version, a.Path, a.Sha256) : null;

    public async Task<DesiredAppState?> GetDesiredAsync(string app, CancellationToken ct) =>
        await store.GetDesiredStateAsync(app, ct) is { } d ? Remember(d) : null;

    public async Task<IReadOnlyList<DesiredAppState>> ListDesiredAsync(CancellationToken ct) =>
        (await store.ListDesiredStatesAsync(ct)).Select(Remember).ToList();

    public async Task<DeployRecord?> GetActiveDeployAsync(string app, CancellationToken ct) =>
        await store.GetActiveDeployAsync(app, ct) is { } d ? await WithControlAsync(d, ct) : null;

    public async Task<IReadOnlyList<DeployRecord>> ListActiveDeploysAsync(CancellationToken ct)
    {
        var records = new List<DeployRecord>();
        foreach (var d in await store.ListActiveDeploysAsync(ct)) records.Add(await WithControlAsync(d, ct));
        return records;
    }

    public Task<IReadOnlyList<Deploy>> ListDeploysAsync(string app, int limit, CancellationToken ct) => store.ListDeploysAsync(app, limit, ct);

    public async Task CreateDeployAsync(DeployRecord record, DesiredAppState desired, CancellationToken ct)
    {
        var result = await store.StartDeployAsync(record.Deploy, await ToStoreAsync(desired, ct), record.Control, ct);
        if (result.Desired is { } d) Track(d.App, d.Revision);
    }

    public async Task SaveAsync(DeployRecord record, DesiredAppState desired, CancellationToken ct)
    {
        var result = await store.UpdateDeployAsync(record.Deploy, await ToStoreAsync(desired, ct), record.Control, ct);
        if (result.Desired is { } d)
        {
            Track(d.App, d.Revision);
            await RecordAckedIfChangedAsync(d, desired, ct);
        }
    }

    public async Task SaveDesiredAsync(DesiredAppState desired, CancellationToken ct)
    {
        var stored = await store.SaveDesiredStateAsync(await ToStoreAsync(desired, ct), ct);
        Track(stored.App, stored.Revision);
        await RecordAckedIfChangedAsync(stored, desired, ct);
    }

    private async Task RecordAckedIfChangedAsync(DesiredState stored, DesiredAppState desired, CancellationToken ct)
    {
        var acked = desired.AckedWeights.Select(w => new VersionWeight(w.Version, w.Weight)).ToList();
        if (!acked.SequenceEqual(stored.AckedWeights)) await store.RecordAckedWeightsAsync(desired.App, acked, ct);
    }

    private async Task<DeployRecord> WithControlAsync(Deploy deploy, CancellationToken ct) =>
        new(deploy, await store.GetDeployControlAsync(deploy.Id, ct) ?? new DeployControl());

    /// <summary>Revisions only grow: a read that began before a write finished must not take the newer one back.</summary>
    private void Track(string app, long revision) => _revisions.AddOrUpdate(app, revision, (_, known) => Math.Max(known, revision));

    private DesiredAppState Remember(DesiredState d)
    {
        Track(d.App, d.Revision);
        var state = new DesiredAppState { App = d.App, DeployId = d.DeployId ?? "" };
        state.AckedWeights.AddRange(d.AckedWeights.Select(w => new ReleaseWeight { Version = w.Version, Weight = w.Weight }));
        foreach (var r in d.Releases)
        {
            var release = new ReleaseState
            {
                Version = r.Version,
                Weight = r.Weight,
                Draining = r.Draining,
                RetireAfter = r.RetireAfter is { } at ? Timestamp.FromDateTimeOffset(at) : null,
                Spec = r.Spec,
            };
            release.Instances.AddRange(r.Instances.Select(i => new InstancePlacement { Agent = i.Agent, InstanceId = i.InstanceId, Host = i.Host, Port = i.Port }));
            state.Releases.Add(release);
        }
        return state;
    }

    private async Task<DesiredState> ToStoreAsync(DesiredAppState desired, CancellationToken ct)
    {
        AppSpec? current = null;
        var releases = new List<DesiredRelease>();
        foreach (var r in desired.Releases)
        {
            var spec = r.Spec ?? (current ??= (await store.GetAppAsync(desired.App, ct))?.Spec)
                ?? throw new InvalidOperationException($"app {desired.App} has no spec to pin release {r.Version} to");
            releases.Add(new DesiredRelease(
                r.Version,
                r.Weight,
                spec,
                0,
                "",
                r.Instances.Select(i => new DesiredInstance(i.Agent, i.InstanceId, i.Host, i.Port)).ToList(),
                r.Draining,
                r.RetireAfter?.ToDateTimeOffset()));
        }
        return DesiredState.Create(desired.App, _revisions.GetValueOrDefault(desired.App), desired.DeployId.Length == 0 ? null : desired.DeployId, releases);
    }
}
