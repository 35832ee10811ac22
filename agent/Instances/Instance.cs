using System.Diagnostics;
using Baton.Agent.Processes;
using Baton.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Instances;

/// <summary>
/// Supervises one instance: spawns it, follows its probes, restarts it per policy with backoff
/// and crash-loop detection, stops it (signal, grace, SIGKILL to the group). All state changes
/// happen under one async gate; exits and probe verdicts arrive from other threads and take it.
/// </summary>
internal sealed class Instance
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly InstanceServices _services;
    private readonly InstancePolicies _policies;
    private readonly LaunchPlan _plan;
    private readonly RestartBackoff _backoff;
    private readonly CrashLoopDetector _crashLoop;

    private InstanceState _state = InstanceState.Unspecified;
    private ProcessRun? _run;
    private bool _wantRunning;
    private uint _restarts;
    private ExitStatus? _lastExit;
    private string _message = "";
    private CancellationTokenSource? _backoffCancel;
    private CpuSample? _lastCpu;

    public Instance(InstanceSpec spec, LaunchPlan plan, int port, InstanceServices services)
    {
        Spec = spec;
        Port = port;
        _plan = plan;
        _services = services;
        _policies = InstancePolicies.From(spec);
        _backoff = new RestartBackoff(_policies.InitialBackoff, _policies.MaxBackoff);
        _crashLoop = new CrashLoopDetector(_policies.CrashLoopRestarts, _policies.CrashLoopWindow);
    }

    public InstanceSpec Spec { get; }
    public string Id => Spec.InstanceId;
    public int Port { get; }
    public bool Adopted { get; private set; }

    /// <summary>State as last set; for decisions that need no consistency with other fields.</summary>
    public InstanceState State => _state;

    /// <summary>
    /// True unless the instance is stopped or exited for good. A crash-looping instance counts
    /// (a relaunch brings it back), and so does one not yet spawned, so its release files stay.
    /// </summary>
    public bool IsActive => _state is not (InstanceState.Stopped or InstanceState.Exited);

    /// <summary>Makes the instance run: spawns it unless it runs already (idempotent launch).</summary>
    public async Task EnsureRunningAsync()
    {
        while (true)
        {
            ProcessRun? stopping;
            await _gate.WaitAsync();
            try
            {
                _wantRunning = true;
                if (_run is null)
                {
                    if (_state == InstanceState.Backoff) return; // a restart is already scheduled
                    if (_state == InstanceState.CrashLooping)
                    {
                        _crashLoop.Reset();
                        _backoff.Reset();
                    }
                    SpawnLocked();
                    return;
                }
                if (!_run.StopRequested) return;
                stopping = _run;
            }
            finally
            {
                _gate.Release();
            }
            await stopping.Finished.Task; // launched while a stop was under way: start again once it is done
        }
    }

    public async Task<StopResult> StopAsync(int? signalOverride = null, TimeSpan? timeoutOverride = null)
    {
        var started = Stopwatch.GetTimestamp();
        ProcessRun? run;
        await _gate.WaitAsync();
        try
        {
            _wantRunning = false;
            CancelBackoffLocked();
            run = _run;
            if (run is null)
            {
                if (_state != InstanceState.Stopped)
                {
                    SetStateLocked(InstanceState.Stopped, "stopped");
                    Publish(EventType.Stopped, null, "stopped (was not running)");
                }
                return new StopResult { InstanceId = Id, Outcome = StopOutcome.NotRunning, Exit = _lastExit };
            }
            if (!run.StopRequested)
            {
                run.StopRequested = true;
                SetStateLocked(InstanceState.Stopping, "stopping");
                ProcessGroup.Signal(run.Pid, signalOverride ?? _policies.StopSignal);
            }
        }
        finally
        {
            _gate.Release();
        }

        var timeout = timeoutOverride ?? _policies.StopTimeout;
        var outcome = StopOutcome.Exited;
        if (await Task.WhenAny(run.Exited, Task.Delay(timeout, _services.Time)) != run.Exited)
        {
            _services.Logger.LogInformation("Instance {Id} ignored its stop signal for {Timeout}; killing its process group", Id, timeout);
            ProcessGroup.Kill(run.Pid);
            outcome = StopOutcome.Killed;
        }
        var exit = await run.Exited;
        await run.Finished.Task;
        return new StopResult
        {
            InstanceId = Id,
            Outcome = outcome,
            Exit = exit,
            DurationMs = (uint)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
        };
    }

    /// <summary>Graceful stop, then a fresh start; clears a crash loop.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await _gate.WaitAsync();
        try
        {
            _restarts++;
            _crashLoop.Reset();
            _backoff.Reset();
            _wantRunning = true;
            Publish(EventType.Restarting, null, "restart requested");
            _services.Observer.Restarted(this);
            if (_run is null) SpawnLocked();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes over an instance recorded by a previous agent process.</summary>
    public async Task AdoptAsync(InstanceRecord record)
    {
        await _gate.WaitAsync();
        try
        {
            _restarts = record.Restarts;
            _wantRunning = record.WantRunning;
            var identity = new ProcessIdentity(record.Pid, record.StartTimeTicks);
            if (record.Pid > 0 && identity.IsAlive() && ProcStat.Read(record.Pid) is { Session: var sid } && sid == record.Pid)
            {
                _services.Logs.Open(Id);
                var run = new ProcessRun(record.Pid, identity, record.StartedAt ?? _services.Time.GetUtcNow(), ownChild: false);
                _run = run;
                Adopted = true;
                SetStateLocked(record.State == InstanceState.Ready ? InstanceState.Ready : InstanceState.Starting, "adopted after agent restart");
                if (record.State == InstanceState.Stopping) run.StopRequested = true;
                run.Exited = _services.Watcher.WatchAsync(run.Pid, isOwnChild: false);
                _ = ObserveExitAsync(run);
                StartProbesLocked(run);
                Publish(EventType.Adopted, run, $"re-adopted pid {run.Pid}");
            }
            else if (_wantRunning)
            {
                _lastExit = ExitStatusDecoder.Unknown();
                Publish(EventType.Exited, null, "exited while the agent was down");
                DecideRestartLocked(record.StartedAt ?? DateTimeOffset.MinValue, failed: true, "exited while the agent was down");
            }
            else
            {
                SetStateLocked(record.State is InstanceState.Exited or InstanceState.CrashLooping ? record.State : InstanceState.Stopped, record.Message);
            }
            _services.Observer.StateChanged(this);
        }
        finally
        {
            _gate.Release();
        }
    }

    public InstanceRecord ToRecord()
    {
        var run = _run;
        return new InstanceRecord
        {
            SpecBase64 = Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(Spec)),
            Port = Port,
            Pid = run?.Pid ?? 0,
            StartTimeTicks = run?.Identity.StartTimeTicks ?? 0,
            StartedAt = run?.StartedAt,
            Restarts = _restarts,
            WantRunning = _wantRunning,
            State = _state,
            Message = _message,
        };
    }

    public InstanceStatus ToStatus()
    {
        var run = _run;
        var now = _services.Time.GetUtcNow();
        var status = new InstanceStatus
        {
            Spec = Spec,
            State = _state,
            Port = (uint)Port,
            Restarts = _restarts,
            LastExit = _lastExit,
            Message = _message,
            Adopted = Adopted,
        };
        if (run is not null)
        {
            status.Pid = run.Pid;
            status.StartedAt = Timestamp.FromDateTimeOffset(run.StartedAt);
            status.UptimeSeconds = Math.Max(0, (now - run.StartedAt).TotalSeconds);
            if (ProcStat.Read(run.Pid) is { } stat && stat.StartTimeTicks == run.Identity.StartTimeTicks)
            {
                status.RssBytes = (ulong)Math.Max(0, stat.RssPages) * (ulong)Environment.SystemPageSize;
                status.CpuPercent = CpuPercent(stat, run, now);
            }
        }
        return status;
    }

    private double CpuPercent(ProcStat stat, ProcessRun run, DateTimeOffset now)
    {
        var previous = _lastCpu is { } s && s.Pid == run.Pid ? s : new CpuSample(run.Pid, 0, run.StartedAt);
        _lastCpu = new CpuSample(run.Pid, stat.CpuTicks, now);
        var seconds = (now - previous.At).TotalSeconds;
        if (seconds <= 0) return 0;
        return Math.Round((stat.CpuTicks - previous.Ticks) / (double)ClockTicksPerSecond / seconds * 100, 1);
    }

    private static readonly long ClockTicksPerSecond = Math.Max(1, Native.Libc.sysconf(Native.Libc._SC_CLK_TCK));

    private void SpawnLocked()
    {
        var pipes = _services.Logs.Open(Id);
        var env = InstanceEnvironment.Build(Spec, Port, _services.Options.DataDir, _plan.RunAs);
        var (executable, arguments) = _plan.RunAs is { } user
            ? ("/usr/bin/setpriv", (IReadOnlyList<string>)[$"--reuid={user.Uid}", $"--regid={user.Gid}", "--init-groups", "--", _plan.Executable, .. _plan.Arguments])
            : (_plan.Executable, _plan.Arguments);

        SetStateLocked(InstanceState.Starting, "starting");
        var started = Stopwatch.GetTimestamp();
        var pid = ProcessSpawner.Spawn(new SpawnRequest(executable, arguments, env, _plan.WorkingDirectory, pipes.StdoutPipe, pipes.StderrPipe));
        var latency = Stopwatch.GetElapsedTime(started);

        var identity = ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
        var run = new ProcessRun(pid, identity, _services.Time.GetUtcNow(), ownChild: true);
        _run = run;
        Adopted = false;
        run.Exited = _services.Watcher.WatchAsync(pid, isOwnChild: true);
        Publish(EventType.Starting, run, $"started pid {pid}");
        _services.Observer.Spawned(this, latency);
        _ = ObserveExitAsync(run);
        StartProbesLocked(run);
        _services.Observer.StateChanged(this);
    }

    private void StartProbesLocked(ProcessRun run)
    {
        if (Spec.Readiness is { KindCase: not Probe.KindOneofCase.None } readiness)
            run.Readiness = _services.Probes.Start(readiness, Port, (healthy, message) => _ = OnReadinessAsync(run, healthy, message));
        else if (_state == InstanceState.Starting)
            BecomeReadyLocked(run, "no readiness probe");

        if (Spec.Liveness is { KindCase: not Probe.KindOneofCase.None } liveness)
            run.Liveness = _services.Probes.Start(liveness, Port, (healthy, message) => _ = OnLivenessAsync(run, healthy, message));
    }

    private void BecomeReadyLocked(ProcessRun run, string message)
    {
        SetStateLocked(InstanceState.Ready, message);
        Publish(EventType.Ready, run, message);
        _services.Observer.StateChanged(this);
    }

    private async Task OnReadinessAsync(ProcessRun run, bool healthy, string message)
    {
        await _gate.WaitAsync();
        try
        {
            if (_run != run || run.StopRequested) return;
            if (healthy && _state is InstanceState.Starting or InstanceState.Unready)
            {
                BecomeReadyLocked(run, message);
            }
            else if (!healthy && _state == InstanceState.Ready)
            {
                _services.Observer.ProbeFailed(this, "readiness");
                SetStateLocked(InstanceState.Unready, message);
                Publish(EventType.Unready, run, message);
                _services.Observer.StateChanged(this);
            }
            else if (!healthy)
            {
                _message = message;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task OnLivenessAsync(ProcessRun run, bool healthy, string message)
    {
        if (healthy) return;
        await _gate.WaitAsync();
        try
        {
            if (_run != run || run.StopRequested || run.LivenessFailed) return;
            run.LivenessFailed = true;
            _services.Observer.ProbeFailed(this, "liveness");
            _message = $"liveness probe failed: {message}";
            Publish(EventType.LivenessFailed, run, _message);
            ProcessGroup.Signal(run.Pid, _policies.StopSignal);
        }
        finally
        {
            _gate.Release();
        }
        if (await Task.WhenAny(run.Exited, Task.Delay(_policies.StopTimeout, _services.Time)) != run.Exited)
            ProcessGroup.Kill(run.Pid);
    }

    private async Task ObserveExitAsync(ProcessRun run)
    {
        var exit = await run.Exited;
        try
        {
            await DisposeProbesAsync(run);
            await _services.Logs.FlushAsync(Id);

            await _gate.WaitAsync();
            try
            {
                _run = null;
                _lastExit = exit;
                var description = ExitStatusDecoder.Describe(exit);
                Publish(EventType.Exited, run, description, exit);
                if (run.StopRequested || !_wantRunning)
                {
                    SetStateLocked(InstanceState.Stopped, $"stopped ({description})");
                    Publish(EventType.Stopped, run, _message, exit);
                }
                else
                {
                    var failed = run.LivenessFailed || !ExitStatusDecoder.IsSuccess(exit);
                    DecideRestartLocked(run.StartedAt, failed, run.LivenessFailed ? $"{_message}; {description}" : description);
                }
                _services.Observer.StateChanged(this);
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (Exception e)
        {
            _services.Logger.LogError(e, "Handling the exit of instance {Id} (pid {Pid}) failed", Id, run.Pid);
        }
        finally
        {
            run.Finished.TrySetResult();
        }
    }

    private void DecideRestartLocked(DateTimeOffset startedAt, bool failed, string description)
    {
        if (_policies.RestartMode == RestartMode.Never || (_policies.RestartMode == RestartMode.OnFailure && !failed))
        {
            SetStateLocked(InstanceState.Exited, description);
            return;
        }

        var now = _services.Time.GetUtcNow();
        if (now - startedAt >= _policies.CrashLoopWindow) _backoff.Reset(); // a long run forgives earlier crashes
        if (_crashLoop.RecordAndCheck(now))
        {
            SetStateLocked(InstanceState.CrashLooping,
                $"crash-looping: {_policies.CrashLoopRestarts} restarts within {_policies.CrashLoopWindow.TotalSeconds:0.###} s; last: {description}");
            Publish(EventType.CrashLooping, null, _message, _lastExit);
            return;
        }

        var delay = _backoff.Next();
        SetStateLocked(InstanceState.Backoff, $"{description}; restarting in {delay.TotalMilliseconds:0} ms");
        Publish(EventType.Restarting, null, _message, _lastExit);
        var cancel = new CancellationTokenSource();
        _backoffCancel = cancel;
        _ = RestartAfterAsync(delay, cancel.Token);
    }

    private async Task RestartAfterAsync(TimeSpan delay, CancellationToken cancel)
    {
        try
        {
            await Task.Delay(delay, _services.Time, cancel);
        }
        catch (OperationCanceledException)
        {
            return; // stopped or relaunched meanwhile
        }

        await _gate.WaitAsync();
        try
        {
            if (cancel.IsCancellationRequested || _state != InstanceState.Backoff || !_wantRunning || _run is not null) return;
            _restarts++;
            _services.Observer.Restarted(this);
            try
            {
                SpawnLocked();
            }
            catch (SpawnException e)
            {
                _services.Logger.LogWarning("Restarting instance {Id} failed: {Error}", Id, e.Message);
                _lastExit = ExitStatusDecoder.Unknown();
                DecideRestartLocked(_services.Time.GetUtcNow(), failed: true, e.Message);
                _services.Observer.StateChanged(this);
            }
        }
        catch (Exception e)
        {
            _services.Logger.LogError(e, "Restart of instance {Id} failed", Id);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void CancelBackoffLocked()
    {
        _backoffCancel?.Cancel();
        _backoffCancel = null;
        if (_state == InstanceState.Backoff) _state = InstanceState.Stopped;
    }

    private static async Task DisposeProbesAsync(ProcessRun run)
    {
        if (run.Readiness is { } r) await r.DisposeAsync();
        if (run.Liveness is { } l) await l.DisposeAsync();
    }

    private void SetStateLocked(InstanceState state, string message)
    {
        _state = state;
        _message = message;
    }

    private void Publish(EventType type, ProcessRun? run, string message, ExitStatus? exit = null) =>
        _services.Events.Publish(new InstanceEvent
        {
            Type = type,
            InstanceId = Id,
            App = Spec.App,
            Version = Spec.Version,
            Pid = run?.Pid ?? 0,
            Port = (uint)Port,
            Exit = exit,
            Restarts = _restarts,
            Message = message,
        });

    private readonly record struct CpuSample(int Pid, ulong Ticks, DateTimeOffset At);

    /// <summary>One process lifetime of the instance.</summary>
    private sealed class ProcessRun(int pid, ProcessIdentity identity, DateTimeOffset startedAt, bool ownChild)
    {
        public int Pid { get; } = pid;
        public ProcessIdentity Identity { get; } = identity;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public bool OwnChild { get; } = ownChild;
        public Task<ExitStatus> Exited { get; set; } = null!;
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public IAsyncDisposable? Readiness { get; set; }
        public IAsyncDisposable? Liveness { get; set; }
        public bool StopRequested { get; set; }
        public bool LivenessFailed { get; set; }
    }
}
