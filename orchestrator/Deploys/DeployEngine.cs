using System.Collections.Concurrent;
using Baton.Orchestrator.Xds;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Deploys;

/// <summary>
/// Owns every deploy: starts them, takes operators' requests, resumes the unfinished ones after
/// a restart, and between deploys keeps each app's routing in line with its instances (an
/// instance that crashes leaves EDS) and retires releases whose rollback window has ended.
/// </summary>
public sealed class DeployEngine(DeployServices services) : BackgroundService
{
    private readonly ConcurrentDictionary<string, DeployRunner> _runners = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private CancellationToken _stopping = CancellationToken.None;
    private readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DateTimeOffset Now => services.Time.GetUtcNow();

    /// <summary>Completes once the persisted routing is served again (before any data plane is answered).</summary>
    public Task Restored => _restored.Task;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Hosted services start before Kestrel listens: the weights every data plane had ACKed
        // are in the xDS cache before the first data plane can ask.
        await RestoreRoutingAsync(cancellationToken);
        _restored.TrySetResult();
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        foreach (var record in await services.Repository.ListActiveDeploysAsync(stoppingToken))
        {
            services.Logger.LogInformation("Resuming deploy {Id} of {App} in phase {Phase}", record.Deploy.Id, record.Deploy.App, record.Deploy.Phase);
            await StartRunnerAsync(record, stoppingToken);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Under the start lock: a deploy starting meanwhile must not race this over the desired state.
                await _startLock.WaitAsync(stoppingToken);
                try
                {
                    await ReconcileIdleAppsAsync(stoppingToken);
                }
                finally
                {
                    _startLock.Release();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                services.Logger.LogError(e, "Reconciling apps between deploys failed; trying again");
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), services.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ API operations

    public async Task<DeployPlan> PlanAsync(string app, string version, CancellationToken ct)
    {
        var spec = await RequireAppAsync(app, ct);
        NameValidator.Require(version, "version");
        var desired = await services.Repository.GetDesiredAsync(app, ct) ?? new DesiredAppState { App = app };
        var current = LiveVersion(desired);
        var plan = new DeployPlan { App = app, FromVersion = current ?? "", ToVersion = version };
        var targets = DeployPlanner.SelectAgents(spec, services.Fleet.Agents);
        var release = DeployPlanner.PlanRelease(spec, version, targets);
        plan.Instances.AddRange(release.Instances.Select(i => new PlannedInstance { Agent = i.Agent, InstanceId = i.InstanceId }));
        plan.Steps.AddRange(current is null ? [new StepSpec { Weight = 100 }] : DeployPlanner.Steps(spec));
        if (current is null) plan.Notes.Add("first deploy of the app: straight to 100 %, no canary steps");
        if (current == version) plan.Notes.Add($"{version} is already live: a deploy would be refused");
        if (await services.Repository.GetArtifactAsync(app, version, ct) is null) plan.Notes.Add($"no artifact uploaded for {version}: upload it with --artifact");
        foreach (var agent in targets.Where(a => !a.Reachable)) plan.Notes.Add($"agent {agent.Name} is unreachable now: the deploy would wait for it");
        if (await services.Repository.GetActiveDeployAsync(app, ct) is { } active) plan.Notes.Add($"deploy {active.Deploy.Id} is running: a deploy would be refused");
        return plan;
    }

    public Task<Deploy> StartDeployAsync(string app, string version, CancellationToken ct) => StartAsync(app, version, DeployKind.Deploy, ct);

    public async Task<Deploy> PromoteAsync(string app, CancellationToken ct) =>
        await RequestAsync(app, r => { r.Control.PromoteRequested = true; r.Control.PauseRequested = false; return "promote requested: straight to 100 %"; }, ct);

    public async Task<Deploy> PauseAsync(string app, CancellationToken ct) =>
        await RequestAsync(app, r =>
        {
            if (r.Deploy.Phase == DeployPhase.Paused) return "already paused";
            r.Control.PauseRequested = true;
            return "pause requested: holding at the current step";
        }, ct);

    public async Task<Deploy> ResumeAsync(string app, CancellationToken ct) =>
        await RequestAsync(app, r =>
        {
            r.Control.PauseRequested = false;
            if (r.Deploy.Phase != DeployPhase.Paused) return "not paused: nothing to resume";
            r.Control.ResumeRequested = true;
            return "resumed";
        }, ct);

    /// <summary>Rolls the running deploy back; with none running it changes nothing and says so.</summary>
    public async Task<Deploy> AbortAsync(string app, CancellationToken ct)
    {
        await RequireAppAsync(app, ct);
        if (_runners.TryGetValue(app, out var runner) && !DeployPhases.IsFinished(runner.Record.Deploy.Phase))
        {
            return await runner.RequestAsync(r =>
            {
                if (DeployPhases.IsFailing(r.Deploy.Phase)) return "already rolling back";
                if (r.Control.AbortReason.Length == 0) r.Control.AbortReason = "aborted by operator";
                return "abort requested: rolling back";
            }, ct);
        }
        var last = (await services.Repository.ListDeploysAsync(app, 1, ct)).FirstOrDefault() ?? new Deploy { App = app };
        last.Message = "no deploy running: nothing to abort";
        return last;
    }

    /// <summary>Back to the previous release after a finished deploy: instantly while it is warm.</summary>
    public async Task<Deploy> RollbackAsync(string app, CancellationToken ct)
    {
        await RequireAppAsync(app, ct);
        if (await services.Repository.GetActiveDeployAsync(app, ct) is { } active)
            throw Fail(StatusCode.FailedPrecondition, $"deploy {active.Deploy.Id} of {app} is running ({DeployPhases.Name(active.Deploy.Phase)}); use `baton abort {app}` to roll it back");
        var last = (await services.Repository.ListDeploysAsync(app, 1, ct)).FirstOrDefault()
            ?? throw Fail(StatusCode.FailedPrecondition, $"{app} has never been deployed: nothing to roll back");
        if (last.Phase == DeployPhase.RolledBack || last.Kind == DeployKind.Rollback)
        {
            last.Message = $"already rolled back: {LiveVersion(await services.Repository.GetDesiredAsync(app, ct) ?? new DesiredAppState()) ?? "nothing"} is live";
            return last;
        }
        if (last.FromVersion.Length == 0)
            throw Fail(StatusCode.FailedPrecondition, $"{app} has no release before {last.ToVersion} to roll back to");
        return await StartAsync(app, last.FromVersion, DeployKind.Rollback, ct);
    }

    public async Task<AppStatus> GetStatusAsync(string app, CancellationToken ct)
    {
        await RequireAppAsync(app, ct);
        var status = new AppStatus { App = app };
        IReadOnlyList<ReleaseWeight>? runnerWeights = null;
        if (_runners.TryGetValue(app, out var runner))
            (status.Deploy, runnerWeights) = await runner.SnapshotAsync(ct);
        else
            status.Deploy = (await services.Repository.ListDeploysAsync(app, 1, ct)).FirstOrDefault();
        var desired = await services.Repository.GetDesiredAsync(app, ct);
        if (desired is not null)
        {
            status.Weights.AddRange(runnerWeights ?? desired.AckedWeights);
            var live = services.Instances.Snapshot(app);
            foreach (var i in desired.Releases.SelectMany(r => r.Instances.Select(i => (r.Version, i))))
            {
                var l = live.GetValueOrDefault(i.i.InstanceId);
                status.Instances.Add(new Instance
                {
                    Agent = i.i.Agent,
                    InstanceId = i.i.InstanceId,
                    App = app,
                    Version = i.Version,
                    State = l is null ? "unknown" : l.State.ToString().ToLowerInvariant(),
                    Port = l?.Port ?? i.i.Port,
                    Restarts = l?.Restarts ?? 0,
                    Message = l?.Message ?? "",
                });
            }
        }
        return status;
    }

    public async IAsyncEnumerable<Deploy> WatchAsync(string app, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await RequireAppAsync(app, ct);
        var first = _runners.TryGetValue(app, out var runner) ? runner.Record.Deploy.Clone()
            : (await services.Repository.ListDeploysAsync(app, 1, ct)).FirstOrDefault();
        if (first is not null)
        {
            yield return first;
            if (DeployPhases.IsFinished(first.Phase)) yield break;
        }
        await foreach (var deploy in services.Notifier.WatchAsync(app, ct))
        {
            yield return deploy;
            if (DeployPhases.IsFinished(deploy.Phase)) yield break;
        }
    }

    // ------------------------------------------------------------------ internals

    private async Task<Deploy> StartAsync(string app, string version, DeployKind kind, CancellationToken ct)
    {
        var spec = await RequireAppAsync(app, ct);
        NameValidator.Require(version, "version");
        await _startLock.WaitAsync(ct);
        try
        {
            if (await services.Repository.GetActiveDeployAsync(app, ct) is { } active)
                throw Fail(StatusCode.FailedPrecondition,
                    $"deploy {active.Deploy.Id} of {app} ({Describe(active.Deploy)}) is {DeployPhases.Name(active.Deploy.Phase)}; wait for it or abort it");
            var desired = await services.Repository.GetDesiredAsync(app, ct) ?? new DesiredAppState { App = app };
            var current = LiveVersion(desired);
            if (current == version)
                throw Fail(StatusCode.FailedPrecondition, $"{app} {version} is already live");
            var warm = desired.Releases.Any(r => r.Version == version && r.Instances.Count > 0);
            if (!warm && await services.Repository.GetArtifactAsync(app, version, ct) is null)
                throw Fail(StatusCode.FailedPrecondition, $"no artifact for {app} {version}: upload it first (baton deploy {app} --artifact FILE --version {version})");
            DeployPlanner.SelectAgents(spec, services.Fleet.Agents); // fails now, clearly, if no agent fits

            // A warm release left from an earlier rollback window is retired first, unless it is the target.
            var now = Timestamp.FromDateTimeOffset(Now);
            var deploy = new Deploy
            {
                Id = $"{app}-{Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("n")[..4]}",
                App = app,
                Kind = kind,
                FromVersion = current ?? "",
                ToVersion = version,
                Phase = DeployPhase.Pending,
                CreatedAt = now,
                UpdatedAt = now,
            };
            var record = new DeployRecord(deploy, new DeployControl());
            desired.DeployId = deploy.Id;
            await services.Repository.CreateDeployAsync(record, desired, ct);
            services.Logger.LogInformation("Deploy {Id}: {App} {From} -> {To} ({Kind})", deploy.Id, app, current ?? "(none)", version, kind);
            var runner = await StartRunnerAsync(record, _stopping);
            return runner.Record.Deploy.Clone();
        }
        finally
        {
            _startLock.Release();
        }
    }

    private async Task<DeployRunner> StartRunnerAsync(DeployRecord record, CancellationToken stopping)
    {
        var app = record.Deploy.App;
        var spec = await services.Repository.GetAppAsync(app, stopping)
            ?? throw new InvalidOperationException($"deploy {record.Deploy.Id} refers to unknown app {app}");
        var desired = await services.Repository.GetDesiredAsync(app, stopping) ?? new DesiredAppState { App = app };
        var runner = new DeployRunner(record, spec, desired, services);
        _runners[app] = runner;
        _ = Task.Run(async () =>
        {
            try
            {
                await runner.RunAsync(stopping);
            }
            catch (Exception e)
            {
                services.Logger.LogError(e, "Deploy {Id} stopped unexpectedly", record.Deploy.Id);
            }
        }, CancellationToken.None);
        return runner;
    }

    private async Task<Deploy> RequestAsync(string app, Func<DeployRecord, string?> change, CancellationToken ct)
    {
        await RequireAppAsync(app, ct);
        if (!_runners.TryGetValue(app, out var runner) || DeployPhases.IsFinished(runner.Record.Deploy.Phase))
            throw Fail(StatusCode.FailedPrecondition, $"no deploy of {app} is running");
        if (DeployPhases.IsFailing(runner.Record.Deploy.Phase))
            throw Fail(StatusCode.FailedPrecondition, $"deploy {runner.Record.Deploy.Id} is rolling back ({runner.Record.Deploy.Reason})");
        return await runner.RequestAsync(change, ct);
    }

    private async Task RestoreRoutingAsync(CancellationToken ct)
    {
        foreach (var desired in await services.Repository.ListDesiredAsync(ct))
        {
            var spec = await services.Repository.GetAppAsync(desired.App, ct);
            if (spec is null) continue;
            services.Instances.Seed(desired);
            var served = desired.Releases.Select(r =>
            {
                var copy = r.Clone();
                copy.Weight = desired.AckedWeights.FirstOrDefault(w => w.Version == r.Version)?.Weight ?? 0;
                return copy;
            });
            if (RoutingProjection.Project(spec, served, services.Instances.Snapshot(desired.App)) is { } routing)
                services.Publisher.SetApp(routing);
        }
    }

    private async Task ReconcileIdleAppsAsync(CancellationToken ct)
    {
        foreach (var listed in await services.Repository.ListDesiredAsync(ct))
        {
            var desired = listed;
            if (_runners.TryGetValue(listed.App, out var runner))
            {
                // Read under the runner's lock, which its saves hold: a deploy still running is left
                // alone, and one that finished after the list was read is read again, so an older
                // desired state never republishes stale weights.
                if (!DeployPhases.IsFinished((await runner.SnapshotAsync(ct)).Deploy.Phase)) continue;
                if (await services.Repository.GetDesiredAsync(listed.App, ct) is not { } current) continue;
                desired = current;
            }
            var spec = await services.Repository.GetAppAsync(desired.App, ct);
            if (spec is null) continue;

            var expired = desired.Releases.Where(r => r.RetireAfter is not null && r.RetireAfter.ToDateTimeOffset() <= Now).ToList();
            if (expired.Count > 0)
            {
                foreach (var group in expired.SelectMany(r => r.Instances).GroupBy(i => i.Agent))
                    await services.Fleet.StopAsync(group.Key, group.Select(i => i.InstanceId).ToList(), remove: true, ct);
                foreach (var r in expired) desired.Releases.Remove(r);
                await services.Repository.SaveDesiredAsync(desired, ct);
                services.Logger.LogInformation("Retired {Versions} of {App}: rollback window over", string.Join(", ", expired.Select(r => r.Version)), desired.App);
            }

            var live = await services.Instances.RefreshAsync(desired.App, desired.Releases.SelectMany(r => r.Instances).Select(i => i.Agent), ct);
            if (RoutingProjection.Project(spec, desired.Releases, live) is { } routing)
                services.Publisher.SetApp(routing);
        }
    }

    private async Task<AppSpec> RequireAppAsync(string app, CancellationToken ct)
    {
        NameValidator.Require(app, "app");
        return await services.Repository.GetAppAsync(app, ct)
            ?? throw Fail(StatusCode.NotFound, $"no app {app}: apply its spec first (baton apply -f {app}.yaml)");
    }

    /// <summary>The release carrying the most traffic that is not draining: what "current" means.</summary>
    private static string? LiveVersion(DesiredAppState desired) =>
        desired.Releases.Where(r => r.Weight > 0 && !r.Draining).OrderByDescending(r => r.Weight).FirstOrDefault()?.Version;

    private static string Describe(Deploy d) => d.FromVersion.Length == 0 ? d.ToVersion : $"{d.FromVersion} → {d.ToVersion}";

    private static RpcException Fail(StatusCode code, string message) => new(new Status(code, message));
}
