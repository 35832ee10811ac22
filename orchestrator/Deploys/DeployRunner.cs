using Baton.Orchestrator.Xds;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Deploys;

/// <summary>
/// Drives one deploy through its phases. Each phase is written to be re-entered: after a crash
/// the runner starts again from the persisted phase and repeats only idempotent work (launches
/// by instance id, weight pushes, stops), so nothing is done twice and nothing is lost.
/// Every change is saved (deploy, control and desired state in one transaction) before the
/// runner acts on it.
/// </summary>
internal sealed class DeployRunner
{
    private readonly DeployServices _s;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly AppSpec _spec;
    private readonly DeployTimings _timings;
    private readonly IReadOnlyList<StepSpec> _steps;
    private DesiredAppState _desired;
    private int _lastDataPlanes = -1;
    private static readonly TimeSpan DrainCheckInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>How long the count of following data planes waits for one that is behind; those still behind then are not counted.</summary>
    private static readonly TimeSpan FollowingCountTimeout = TimeSpan.FromSeconds(2);

    public DeployRunner(DeployRecord record, AppSpec spec, DesiredAppState desired, DeployServices services)
    {
        Record = record;
        _spec = spec;
        _desired = desired;
        _s = services;
        _timings = DeployTimings.From(spec.Strategy);
        // A rollback, and a first deploy with nothing to shift from, skip the canary steps.
        _steps = record.Deploy.Kind == DeployKind.Rollback || record.Deploy.FromVersion.Length == 0
            ? [new StepSpec { Weight = 100 }]
            : DeployPlanner.Steps(spec);
        Record.Deploy.Steps = (uint)_steps.Count;
        _s.Fleet.InstancesChanged += OnInstancesChanged;
    }

    /// <summary>An agent reported something about this app's instances: look now rather than at the next poll.</summary>
    private void OnInstancesChanged(string app)
    {
        if (app.Length == 0 || app == Record.Deploy.App) Wake();
    }

    public DeployRecord Record { get; }

    private Deploy Deploy => Record.Deploy;

    private DeployControl Control => Record.Control;

    private DateTimeOffset Now => _s.Time.GetUtcNow();

    /// <summary>Applies an operator's request (pause, promote, abort) under the runner's lock, saves it, and wakes the runner.</summary>
    public async Task<Deploy> RequestAsync(Func<DeployRecord, string?> change, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            var message = change(Record);
            Deploy.Message = message ?? "";
            await SaveLockedAsync(ct);
            return Deploy.Clone();
        }
        finally
        {
            _lock.Release();
            Wake();
        }
    }

    /// <summary>Ends the current wait early; cues arriving in a burst collapse into one.</summary>
    private void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    /// <summary>
    /// The deploy and the weights last ACKed, read together under the runner's lock: a reader never sees
    /// a phase (say, rolled back) whose weights are not saved yet.
    /// </summary>
    public async Task<(Deploy Deploy, IReadOnlyList<ReleaseWeight> AckedWeights)> SnapshotAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            return (Deploy.Clone(), _desired.AckedWeights.Select(w => w.Clone()).ToList());
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await RunPhasesAsync(stop);
        }
        finally
        {
            _s.Fleet.InstancesChanged -= OnInstancesChanged;
        }
    }

    private async Task RunPhasesAsync(CancellationToken stop)
    {
        while (!DeployPhases.IsFinished(Deploy.Phase))
        {
            try
            {
                await StepAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return; // the orchestrator is stopping; the next one resumes from the saved phase
            }
            catch (DeployFailedException e)
            {
                await TryFailAsync(e.Message, stop);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                _s.Logger.LogError(e, "Deploy {Id} hit an error in phase {Phase}", Deploy.Id, Deploy.Phase);
                if (Deploy.Phase is DeployPhase.RollingBack or DeployPhase.Failing)
                    await Task.Delay(TimeSpan.FromSeconds(1), _s.Time, stop); // rolling back must finish: try again
                else
                    await TryFailAsync($"{DeployPhases.Name(Deploy.Phase)} failed: {Describe(e)}", stop);
            }
        }
    }

    private Task StepAsync(CancellationToken ct) => Deploy.Phase switch
    {
        DeployPhase.Pending => PlanAsync(ct),
        DeployPhase.Distributing => DistributeAsync(ct),
        DeployPhase.Starting => StartInstancesAsync(ct),
        DeployPhase.Shifting => ShiftAsync(ct),
        DeployPhase.Paused => WaitWhilePausedAsync(ct),
        DeployPhase.Draining => DrainAsync(ct),
        DeployPhase.Retiring => RetireAsync(ct),
        DeployPhase.Failing => TransitionAsync(DeployPhase.RollingBack, ct),
        DeployPhase.RollingBack => RollBackAsync(ct),
        _ => throw new InvalidOperationException($"unexpected phase {Deploy.Phase}"),
    };

    private ReleaseState? Release(string version) => _desired.Releases.FirstOrDefault(r => r.Version == version);

    private ReleaseState NewRelease => Release(Deploy.ToVersion) ?? throw new InvalidOperationException($"release {Deploy.ToVersion} missing from the desired state");

    // ------------------------------------------------------------------ phases

    private async Task PlanAsync(CancellationToken ct)
    {
        var following = await CountFollowingDataPlanesAsync(ct);
        await _lock.WaitAsync(ct);
        try
        {
            Control.DataPlanesAtStart = following;
            var existing = Release(Deploy.ToVersion);
            var warm = existing is not null && existing.Instances.Count > 0;
            if (existing is null)
            {
                var targets = DeployPlanner.SelectAgents(_spec, _s.Fleet.Agents);
                var release = DeployPlanner.PlanRelease(_spec, Deploy.ToVersion, targets);
                release.Weight = 0;
                release.Spec = _spec.Clone();
                _desired.Releases.Add(release);
            }
            else
            {
                // Still warm from before (a rollback within its window): bring it back into service.
                existing.Draining = false;
                existing.RetireAfter = null;
            }
            _desired.DeployId = Deploy.Id;
            Deploy.Phase = warm ? DeployPhase.Starting : DeployPhase.Distributing;
            Control.StartingSince = Timestamp.FromDateTimeOffset(Now);
            await SaveLockedAsync(ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// The data planes routing the app now, counted by confirming its current routing (unchanged, so
    /// those in sync answer at once). Without this floor a deploy resumed by a restarted orchestrator
    /// before any step was ACKed would expect no data plane at all, and shift and drain past clients
    /// still reconnecting.
    /// </summary>
    private async Task<uint> CountFollowingDataPlanesAsync(CancellationToken ct)
    {
        var routing = RoutingProjection.Project(_spec, _desired.Releases, _s.Instances.Snapshot(Deploy.App));
        if (routing is null) return 0; // the first release: nothing routes the app yet
        var confirmation = await _s.Publisher.ApplyAndConfirmAsync(routing, FollowingCountTimeout, ct);
        return (uint)confirmation.DataPlanes.Count(d => d.State == DataPlaneState.Acked);
    }

    private async Task DistributeAsync(CancellationToken ct)
    {
        var artifact = await _s.Repository.GetArtifactAsync(Deploy.App, Deploy.ToVersion, ct)
            ?? throw new DeployFailedException($"no artifact for {Deploy.App} {Deploy.ToVersion}: upload it (baton deploy --artifact)");
        var agents = NewRelease.Instances.Select(i => i.Agent).Distinct().ToList();
        var pending = new HashSet<string>(agents);
        while (pending.Count > 0)
        {
            ThrowIfAbortedOrLate();
            var results = await Task.WhenAll(pending.Select(async agent =>
            {
                try
                {
                    await _s.Fleet.EnsureReleaseAsync(agent, artifact, ct);
                    return (agent, (string?)null);
                }
                catch (RpcException e) when (IsTransient(e))
                {
                    return (agent, e.Status.Detail);
                }
            }));
            foreach (var (agent, error) in results)
            {
                if (error is null) pending.Remove(agent);
                else _s.Logger.LogWarning("Deploy {Id}: agent {Agent} not reachable for distribution ({Error}); retrying", Deploy.Id, agent, error);
            }
            if (pending.Count > 0) await WaitAsync(TimeSpan.FromSeconds(1), ct);
        }
        await TransitionAsync(DeployPhase.Starting, ct, c => c.StartingSince = Timestamp.FromDateTimeOffset(Now));
    }

    private async Task StartInstancesAsync(CancellationToken ct)
    {
        var release = NewRelease;
        var agents = release.Instances.Select(i => i.Agent).Distinct().ToList();
        var launched = new HashSet<string>();
        var startedAt = Control.StartingSince?.ToDateTimeOffset() ?? Now;
        while (true)
        {
            ThrowIfAbortedOrLate();
            var live = await _s.Instances.RefreshAsync(Deploy.App, agents, ct);
            // Every agent launches at once; each agent starts its own batch concurrently too.
            var groups = release.Instances.Where(i => !launched.Contains(i.InstanceId) && !IsRunning(live, i.InstanceId)).GroupBy(i => i.Agent).ToList();
            await Task.WhenAll(groups.Select(async group =>
            {
                var specs = group.Select(i => _s.InstanceSpecs(release.Spec ?? _spec, Deploy.ToVersion, i.InstanceId)).ToList();
                try
                {
                    await _s.Fleet.LaunchAsync(group.Key, specs, ct);
                    lock (launched)
                        foreach (var i in group) launched.Add(i.InstanceId);
                }
                catch (RpcException e) when (IsTransient(e))
                {
                    _s.Logger.LogWarning("Deploy {Id}: agent {Agent} not reachable for launch ({Error}); retrying", Deploy.Id, group.Key, e.Status.Detail);
                }
                catch (RpcException e)
                {
                    throw new DeployFailedException($"agent {group.Key} refused to launch {Deploy.ToVersion}: {e.Status.Detail}");
                }
            }));
            if (groups.Count > 0) live = await _s.Instances.RefreshAsync(Deploy.App, agents, ct);

            var states = release.Instances.Select(i => (i.InstanceId, Live: live.GetValueOrDefault(i.InstanceId))).ToList();
            var failed = states.FirstOrDefault(s => s.Live is { HasFailed: true });
            if (failed.Live is not null)
                throw new DeployFailedException($"{Deploy.ToVersion} failed to start: instance {failed.InstanceId} is {StateName(failed.Live.State)} ({failed.Live.Message})");
            if (states.All(s => s.Live is { IsReady: true }))
            {
                // Make-before-break: the new release's cluster and endpoints go out (at weight 0)
                // before any step routes traffic to them.
                Publish(live);
                await TransitionAsync(DeployPhase.Shifting, ct, _ => Deploy.Step = Math.Max(Deploy.Step, 1));
                return;
            }
            if (Now - startedAt > _timings.ReadyDeadline)
            {
                var notReady = states.Where(s => s.Live is not { IsReady: true })
                    .Select(s => $"{s.InstanceId}: {(s.Live is null ? "not reported" : $"{StateName(s.Live.State)} {s.Live.Message}".TrimEnd())}");
                throw new DeployFailedException($"{Deploy.ToVersion} not ready within {_timings.ReadyDeadline.TotalSeconds:0.#} s ({states.Count(s => s.Live is { IsReady: true })}/{states.Count} ready; {string.Join("; ", notReady)})");
            }
            await WaitAsync(_s.PollInterval, ct);
        }
    }

    private async Task ShiftAsync(CancellationToken ct)
    {
        if (Control.PromoteRequested)
        {
            await TransitionAsync(DeployPhase.Shifting, ct, c =>
            {
                c.PromoteRequested = false;
                if (Deploy.Step < _steps.Count && c.StepAckedAt is not null)
                {
                    // The step it leaves (in its pause, or at its manual gate) ends here, by the operator's word.
                    if (Deploy.Receipt.LastOrDefault(r => r.Index == Deploy.Step) is { } receipt)
                    {
                        receipt.Load.Clear();
                        receipt.Load.AddRange(LoadsSince(c.StepAckedAt.ToDateTimeOffset()));
                        receipt.Verdict = "promoted";
                    }
                    c.StepAckedAt = null; // the last step's weights are still to be applied
                }
                Deploy.Step = (uint)_steps.Count;
                Deploy.Message = "promoted: straight to 100 %";
            });
        }
        var index = (int)Math.Clamp(Deploy.Step, 1, _steps.Count) - 1;
        var step = _steps[index];

        if (Control.StepAckedAt is null)
        {
            await ApplyStepWeightsAsync(index, step, ct);
        }

        if (step.Weight >= 100)
        {
            await TransitionAsync(DeployPhase.Draining, ct, c =>
            {
                c.DrainingSince = Timestamp.FromDateTimeOffset(Now);
                if (Deploy.Receipt.LastOrDefault(r => r.Index == index + 1) is { Verdict: "" } receipt)
                    receipt.Verdict = Deploy.Message.StartsWith("promoted", StringComparison.Ordinal) ? "promoted" : "passed";
            });
            return;
        }

        if (step.ManualGate && !Control.PromoteRequested)
        {
            await TransitionAsync(DeployPhase.Paused, ct, _ => Deploy.PausedFrom = DeployPhase.Shifting);
            return;
        }

        var ackedAt = Control.StepAckedAt!.ToDateTimeOffset();
        var until = ackedAt + TimeSpan.FromMilliseconds(step.PauseMs);
        while (Now < until)
        {
            ThrowIfAbortedOrLate();
            if (Control.PromoteRequested) return; // the next pass jumps to the last step
            if (Control.PauseRequested)
            {
                await TransitionAsync(DeployPhase.Paused, ct, c =>
                {
                    c.PauseRequested = false;
                    Deploy.PausedFrom = DeployPhase.Shifting;
                });
                return;
            }
            var live = await _s.Instances.RefreshAsync(Deploy.App, NewRelease.Instances.Select(i => i.Agent).Distinct(), ct);
            CheckNewInstances(live);
            Publish(live);
            Analyse(ackedAt);
            await WaitAsync(Min(_s.PollInterval, until - Now), ct);
        }
        Analyse(ackedAt);
        await NextStepAsync(index, ackedAt, "passed", ct);
    }

    private async Task ApplyStepWeightsAsync(int index, StepSpec step, CancellationToken ct)
    {
        var weights = new Dictionary<string, uint> { [Deploy.ToVersion] = step.Weight };
        if (Deploy.FromVersion.Length > 0 && Deploy.FromVersion != Deploy.ToVersion) weights[Deploy.FromVersion] = 100 - step.Weight;
        foreach (var r in _desired.Releases) r.Weight = weights.GetValueOrDefault(r.Version);

        var appliedAt = Now;
        var live = _s.Instances.Snapshot(Deploy.App);
        var routing = RoutingProjection.Project(_spec, _desired.Releases, live)
            ?? throw new DeployFailedException($"step {index + 1}: no release would carry traffic");
        await SaveAsync(ct); // the weights to serve are on disk before any data plane sees them
        var confirmation = await ConfirmAsync(routing, $"step {index + 1} ({step.Weight} %)", ct);

        await _lock.WaitAsync(ct);
        try
        {
            _desired.AckedWeights.Clear();
            _desired.AckedWeights.AddRange(weights.Select(w => new ReleaseWeight { Version = w.Key, Weight = w.Value }));
            Deploy.Weights.Clear();
            Deploy.Weights.AddRange(_desired.AckedWeights);
            var receipt = new StepReceipt
            {
                Index = (uint)index + 1,
                AppliedAt = Timestamp.FromDateTimeOffset(appliedAt),
                AckedAt = Timestamp.FromDateTimeOffset(Now),
                DataPlanes = (uint)confirmation.DataPlanes.Count(d => d.State == DataPlaneState.Acked),
            };
            receipt.Weights.AddRange(_desired.AckedWeights);
            Deploy.Receipt.Add(receipt);
            Control.StepAckedAt = receipt.AckedAt;
            await SaveLockedAsync(ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// How many data planes followed this deploy at its best step so far. A later step must be
    /// ACKed by at least as many: otherwise a restarted orchestrator, whose data planes have not
    /// reconnected yet, or a data plane that dropped out mid-step, would make a step look applied
    /// (and a drain look idle) while those data planes still route by the old weights.
    /// </summary>
    private int ExpectedDataPlanes =>
        (int)Math.Max(Control.DataPlanesAtStart, Deploy.Receipt.Count == 0 ? 0 : Deploy.Receipt.Max(r => r.DataPlanes));

    /// <summary>Pushes <paramref name="routing"/> and waits until enough data planes ACKed it, within the ACK timeout.</summary>
    private async Task<WeightConfirmation> ConfirmAsync(AppRouting routing, string what, CancellationToken ct)
    {
        var deadline = Now + _timings.AckTimeout;
        var minimum = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var remaining = deadline - Now;
            var confirmation = await _s.Publisher.ApplyAndConfirmAsync(routing, remaining > minimum ? remaining : minimum, ct);
            if (confirmation.Outcome == ConfirmationOutcome.Nacked)
                throw new DeployFailedException($"{what} rejected by data plane {confirmation.NackedBy}: {confirmation.Error}");
            if (confirmation.Outcome == ConfirmationOutcome.TimedOut)
            {
                var pending = confirmation.DataPlanes.Where(d => d.State == DataPlaneState.Pending).Select(d => d.NodeId);
                throw new DeployFailedException($"{what} not ACKed within {_timings.AckTimeout.TotalSeconds:0.#} s by {string.Join(", ", pending)}");
            }
            var acked = confirmation.DataPlanes.Count(d => d.State == DataPlaneState.Acked);
            if (acked >= ExpectedDataPlanes)
            {
                _lastDataPlanes = acked;
                return confirmation;
            }
            if (Now >= deadline)
                throw new DeployFailedException(
                    $"{what}: only {acked} of the {ExpectedDataPlanes} data planes that followed this deploy ACKed within {_timings.AckTimeout.TotalSeconds:0.#} s");
            await WaitAsync(TimeSpan.FromMilliseconds(200), ct); // data planes reconnecting: push again once they are back
        }
    }

    private async Task NextStepAsync(int index, DateTimeOffset ackedAt, string verdict, CancellationToken ct)
    {
        await TransitionAsync(DeployPhase.Shifting, ct, c =>
        {
            if (Deploy.Receipt.LastOrDefault(r => r.Index == index + 1) is { } receipt)
            {
                receipt.Load.Clear();
                receipt.Load.AddRange(LoadsSince(ackedAt));
                receipt.Verdict = verdict;
            }
            c.StepAckedAt = null;
            Deploy.Step = (uint)Math.Min(index + 2, _steps.Count);
        });
    }

    private async Task WaitWhilePausedAsync(CancellationToken ct)
    {
        ThrowIfAbortedOrLate(checkDeadline: false);
        if (!Control.ResumeRequested && !Control.PromoteRequested)
        {
            await WaitAsync(TimeSpan.FromSeconds(5), ct);
            return;
        }
        var index = (int)Math.Clamp(Deploy.Step, 1, _steps.Count) - 1;
        var atGate = _steps[index].ManualGate && Control.StepAckedAt is not null;
        if (atGate && !Control.PromoteRequested)
        {
            // Resuming at a manual gate is the operator's verdict on this step.
            Control.ResumeRequested = false;
            await NextStepAsync(index, Control.StepAckedAt!.ToDateTimeOffset(), "passed (resumed at manual gate)", ct);
            return;
        }
        await TransitionAsync(Deploy.PausedFrom == DeployPhase.Unspecified ? DeployPhase.Shifting : Deploy.PausedFrom, ct, c => c.ResumeRequested = false);
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        var old = _desired.Releases.Where(r => r.Version != Deploy.ToVersion).ToList();
        if (old.Count > 0 && old.Any(r => !r.Draining))
        {
            foreach (var r in old)
            {
                r.Draining = true;
                r.Weight = 0;
            }
            await SaveAsync(ct);
            var routing = RoutingProjection.Project(_spec, _desired.Releases, _s.Instances.Snapshot(Deploy.App));
            if (routing is not null)
            {
                await ConfirmAsync(routing, $"marking {string.Join(", ", old.Select(r => r.Version))} as draining", ct);
            }
        }

        var since = Control.DrainingSince?.ToDateTimeOffset() ?? Now;
        // Idle is only known from reports newer than the switch: ask for them sooner meanwhile.
        using var fastReports = old.Count > 0 ? _s.Loads.ReportFaster() : null;
        while (old.Count > 0)
        {
            ThrowIfAbortedOrLate(checkDeadline: false);
            var idle = _lastDataPlanes == 0 || old.All(r => _s.Loads.IsIdleSince(Deploy.App, r.Version, since));
            if (idle) break;
            if (Now - since > _timings.DrainTimeout)
            {
                _s.Logger.LogWarning("Deploy {Id}: drain timeout after {Timeout}; retiring with requests possibly in flight", Deploy.Id, _timings.DrainTimeout);
                Deploy.Message = $"drain timeout ({_timings.DrainTimeout.TotalSeconds:0.#} s) reached";
                break;
            }
            // The check reads memory only, and reports now arrive every 50 ms: look as often.
            await WaitAsync(DrainCheckInterval, ct);
        }
        await TransitionAsync(DeployPhase.Retiring, ct);
    }

    private async Task RetireAsync(CancellationToken ct)
    {
        // The last step's load covers the drain: what the old release finished, what the new one served.
        if (Deploy.Receipt.LastOrDefault() is { AckedAt: not null } last && last.Load.Count == 0)
        {
            last.Load.AddRange(LoadsSince(last.AckedAt.ToDateTimeOffset()));
            await SaveAsync(ct);
        }
        var old = _desired.Releases.Where(r => r.Version != Deploy.ToVersion).ToList();
        if (_timings.RollbackWindow > TimeSpan.Zero && Deploy.Kind != DeployKind.Rollback)
        {
            // Kept warm at 0 % for an instant rollback; the engine retires it when the window ends.
            foreach (var r in old) r.RetireAfter = Timestamp.FromDateTimeOffset(Now + _timings.RollbackWindow);
        }
        else
        {
            await StopReleasesAsync(old, ct);
            foreach (var r in old) _desired.Releases.Remove(r);
            Publish(_s.Instances.Snapshot(Deploy.App));
        }
        await FinishAsync(DeployPhase.Succeeded, ct);
    }

    private async Task RollBackAsync(CancellationToken ct)
    {
        var from = Deploy.FromVersion.Length > 0 ? Release(Deploy.FromVersion) : null;
        var to = Release(Deploy.ToVersion);
        foreach (var r in _desired.Releases) r.Weight = r == from ? 100u : 0u;
        if (from is not null)
        {
            from.Draining = false;
            from.RetireAfter = null;
            await SaveAsync(ct);
            var routing = RoutingProjection.Project(_spec, _desired.Releases, _s.Instances.Snapshot(Deploy.App));
            if (routing is not null)
            {
                var confirmation = await _s.Publisher.ApplyAndConfirmAsync(routing, _timings.AckTimeout, ct);
                if (confirmation.Outcome != ConfirmationOutcome.Acked)
                    _s.Logger.LogWarning("Deploy {Id}: rollback weights not ACKed by every data plane ({Outcome}: {Error})", Deploy.Id, confirmation.Outcome, confirmation.Error);
                await _lock.WaitAsync(ct);
                try
                {
                    _desired.AckedWeights.Clear();
                    _desired.AckedWeights.Add(new ReleaseWeight { Version = from.Version, Weight = 100 });
                    Deploy.Weights.Clear();
                    Deploy.Weights.AddRange(_desired.AckedWeights);
                }
                finally
                {
                    _lock.Release();
                }
            }
        }
        if (to is not null && to != from)
        {
            await StopReleasesAsync([to], ct);
            _desired.Releases.Remove(to);
        }
        if (from is null)
        {
            _s.Publisher.RemoveApp(Deploy.App);
            _desired.AckedWeights.Clear();
        }
        else
        {
            Publish(_s.Instances.Snapshot(Deploy.App));
        }
        await FinishAsync(DeployPhase.RolledBack, ct);
    }

    // ------------------------------------------------------------------ helpers

    private async Task StopReleasesAsync(IEnumerable<ReleaseState> releases, CancellationToken ct)
    {
        foreach (var group in releases.SelectMany(r => r.Instances).GroupBy(i => i.Agent))
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await _s.Fleet.StopAsync(group.Key, group.Select(i => i.InstanceId).ToList(), remove: true, ct);
                    break;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                {
                    break; // already gone: a stop repeated after a crash
                }
                catch (RpcException e) when (IsTransient(e) && attempt < 30)
                {
                    _s.Logger.LogWarning("Stopping instances on {Agent} failed ({Error}); retrying", group.Key, e.Status.Detail);
                    await Task.Delay(TimeSpan.FromSeconds(1), _s.Time, ct);
                }
            }
        }
    }

    private void CheckNewInstances(IReadOnlyDictionary<string, LiveInstance> live)
    {
        foreach (var i in NewRelease.Instances)
            if (live.GetValueOrDefault(i.InstanceId) is { HasFailed: true } l)
                throw new DeployFailedException($"instance {i.InstanceId} of {Deploy.ToVersion} is {StateName(l.State)} ({l.Message})");
    }

    private void Analyse(DateTimeOffset stepStart)
    {
        var window = Min(_timings.AnalysisWindow, Now - stepStart);
        if (window <= TimeSpan.Zero) return;
        var load = _s.Loads.Get(Deploy.App, Deploy.ToVersion, window);
        var finished = load.Succeeded + load.Errors;
        if (finished >= Math.Max(1, _timings.MinRequests) && load.ErrorRate > _timings.MaxErrorRate)
            throw new DeployFailedException(
                $"error rate of {Deploy.ToVersion} is {load.ErrorRate:P1} over {window.TotalSeconds:0.#} s ({load.Errors} of {finished} requests), above the {_timings.MaxErrorRate:P1} allowed");
    }

    private IEnumerable<Protos.Orchestrator.V1.ReleaseLoad> LoadsSince(DateTimeOffset since)
    {
        var window = Now - since;
        foreach (var r in _desired.Releases)
        {
            var load = _s.Loads.Get(Deploy.App, r.Version, window);
            yield return new Protos.Orchestrator.V1.ReleaseLoad { Version = r.Version, Requests = load.Succeeded + load.Errors, Errors = load.Errors, InFlight = load.InFlight };
        }
    }

    private void Publish(IReadOnlyDictionary<string, LiveInstance> live)
    {
        var routing = RoutingProjection.Project(_spec, _desired.Releases, live);
        if (routing is not null) _s.Publisher.SetApp(routing);
    }

    private void ThrowIfAbortedOrLate(bool checkDeadline = true)
    {
        if (Control.AbortReason.Length > 0) throw new DeployFailedException(Control.AbortReason);
        if (checkDeadline && Deploy.CreatedAt is not null && Now - Deploy.CreatedAt.ToDateTimeOffset() > _timings.ProgressDeadline)
            throw new DeployFailedException($"progress deadline of {_timings.ProgressDeadline.TotalSeconds:0.#} s passed before reaching 100 %");
    }

    /// <summary>
    /// Fails the deploy; if even recording that fails (the store busy or refusing), the phase is
    /// unchanged and the loop comes back here after a pause, so the deploy never hangs half-failed.
    /// </summary>
    private async Task TryFailAsync(string reason, CancellationToken ct)
    {
        try
        {
            await FailAsync(reason, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            _s.Logger.LogError(e, "Deploy {Id}: recording the failure ({Reason}) failed; trying again", Deploy.Id, reason);
            await Task.Delay(TimeSpan.FromSeconds(1), _s.Time, ct);
        }
    }

    private async Task FailAsync(string reason, CancellationToken ct)
    {
        _s.Logger.LogWarning("Deploy {Id} failed: {Reason}", Deploy.Id, reason);
        await _lock.WaitAsync(ct);
        try
        {
            // Serve again the last weights every data plane had ACKed before anything else.
            foreach (var r in _desired.Releases)
                r.Weight = _desired.AckedWeights.FirstOrDefault(w => w.Version == r.Version)?.Weight ?? 0;
            if (Deploy.Receipt.LastOrDefault() is { Verdict: "" } last) last.Verdict = $"failed: {reason}";
            Deploy.Reason = reason;
            Deploy.Phase = DeployPhase.Failing;
            await SaveLockedAsync(ct);
        }
        finally
        {
            _lock.Release();
        }
        Publish(_s.Instances.Snapshot(Deploy.App));
    }

    private async Task FinishAsync(DeployPhase phase, CancellationToken ct)
    {
        await TransitionAsync(phase, ct, _ =>
        {
            Deploy.FinishedAt = Timestamp.FromDateTimeOffset(Now);
            _desired.DeployId = "";
        });
    }

    private async Task TransitionAsync(DeployPhase phase, CancellationToken ct, Action<DeployControl>? also = null)
    {
        await _lock.WaitAsync(ct);
        try
        {
            also?.Invoke(Control);
            Deploy.Phase = phase;
            await SaveLockedAsync(ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task SaveAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            await SaveLockedAsync(ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task SaveLockedAsync(CancellationToken ct)
    {
        Deploy.UpdatedAt = Timestamp.FromDateTimeOffset(Now);
        Deploy.ReadyInstances.Clear();
        var live = _s.Instances.Snapshot(Deploy.App);
        foreach (var r in _desired.Releases)
        {
            Deploy.ReadyInstances[r.Version] = (uint)r.Instances.Count(i => live.GetValueOrDefault(i.InstanceId) is { IsReady: true });
            foreach (var i in r.Instances)
            {
                if (live.GetValueOrDefault(i.InstanceId) is { IsReady: true } l)
                {
                    i.Host = l.Host;
                    i.Port = l.Port;
                }
            }
        }
        await _s.Repository.SaveAsync(Record, _desired, CancellationToken.None);
        _s.Notifier.Publish(Deploy);
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        if (delay <= TimeSpan.Zero) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(delay);
        try
        {
            await _wake.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // the delay passed without a request: the normal case
        }
    }

    private static bool IsRunning(IReadOnlyDictionary<string, LiveInstance> live, string id) =>
        live.TryGetValue(id, out var l) && l.State is not (Protos.Agent.V1.InstanceState.Stopped or Protos.Agent.V1.InstanceState.Unspecified);

    private static bool IsTransient(RpcException e) => e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded;

    private static string StateName(Protos.Agent.V1.InstanceState state) => state switch
    {
        Protos.Agent.V1.InstanceState.CrashLooping => "crash-looping",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Describe(Exception e) => e is RpcException r ? r.Status.Detail : e.Message;
}
