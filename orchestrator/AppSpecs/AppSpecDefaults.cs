using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// Fills every field a spec left out with the value it stands for, so the stored spec shows the
/// effective settings and the deploy engine and agents never have to guess. Proto3 carries "not
/// set" as 0, so 0 (or an empty string, or a missing message) is what gets filled; the parser
/// refuses an explicit 0 wherever 0 would be replaced. Applying the defaults twice changes nothing.
/// </summary>
public static class AppSpecDefaults
{
    public const uint InstancesPerAgent = 1;

    public const uint ProbeIntervalMs = 1000;
    public const uint ProbeTimeoutMs = 1000;
    public const uint ProbeSuccessThreshold = 1;
    public const uint ProbeFailureThreshold = 3;
    public const string HttpProbePath = "/";

    public const string StopSignal = "SIGTERM";
    public const uint StopTimeoutMs = 10_000;

    public const string RestartPolicy = SpecVocabulary.RestartOnFailure;
    public const uint InitialBackoffMs = 100;
    public const uint MaxBackoffMs = 15_000;
    public const uint CrashLoopRestarts = 10;
    public const uint CrashLoopWindowMs = 60_000;

    public const string Protocol = SpecVocabulary.ProtocolHttp;
    public const string AnyDomain = "*";
    public const uint RequestTimeoutMs = 15_000;

    public const uint AnalysisMinRequests = 20;
    public const uint AnalysisWindowMs = 60_000;

    /// <summary>The deadline for the whole deploy is this plus the steps' pauses, so long canaries do not need to raise it by hand.</summary>
    public const uint ProgressDeadlineBaseMs = 600_000;
    public const uint ReadyDeadlineMs = 120_000;
    public const uint DrainTimeoutMs = 30_000;
    public const uint RollbackWindowMs = 600_000;
    public const uint AckTimeoutMs = 30_000;

    /// <summary>
    /// A copy of <paramref name="spec"/> with every default filled in. What was decided on the
    /// user's behalf beyond a plain default (an appended final step) is added to <paramref name="notes"/>.
    /// </summary>
    public static AppSpec Apply(AppSpec spec, ICollection<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var result = spec.Clone();

        result.Placement ??= new Placement();
        if (result.Placement.InstancesPerAgent == 0 && result.Placement.Instances == 0)
            result.Placement.InstancesPerAgent = InstancesPerAgent;

        // Every routed app listens on its PORT, so "accepts connections" is the least a new
        // release must show before it gets traffic.
        result.Readiness ??= new ProbeSpec { Type = SpecVocabulary.ProbeTcp };
        FillProbe(result.Readiness);
        if (result.Liveness is not null) FillProbe(result.Liveness);

        result.Stop ??= new StopSpec();
        result.Stop.Signal = Or(result.Stop.Signal, StopSignal);
        result.Stop.TimeoutMs = Or(result.Stop.TimeoutMs, StopTimeoutMs);

        result.Restart ??= new RestartSpec();
        result.Restart.Policy = Or(result.Restart.Policy, RestartPolicy);
        result.Restart.InitialBackoffMs = Or(result.Restart.InitialBackoffMs, InitialBackoffMs);
        result.Restart.MaxBackoffMs = Or(result.Restart.MaxBackoffMs, Math.Max(MaxBackoffMs, result.Restart.InitialBackoffMs));
        result.Restart.CrashLoopRestarts = Or(result.Restart.CrashLoopRestarts, CrashLoopRestarts);
        result.Restart.CrashLoopWindowMs = Or(result.Restart.CrashLoopWindowMs, CrashLoopWindowMs);

        result.Routing ??= new RoutingSpec();
        result.Routing.Protocol = Or(result.Routing.Protocol, Protocol);
        if (result.Routing.Domains.Count == 0) result.Routing.Domains.Add(AnyDomain);
        result.Routing.RequestTimeoutMs = Or(result.Routing.RequestTimeoutMs, RequestTimeoutMs);

        result.Strategy ??= new StrategySpec();
        FillStrategy(result.Strategy, notes);
        return result;
    }

    private static void FillProbe(ProbeSpec probe)
    {
        if (probe.Type == SpecVocabulary.ProbeHttp) probe.Path = Or(probe.Path, HttpProbePath);
        probe.IntervalMs = Or(probe.IntervalMs, ProbeIntervalMs);
        probe.TimeoutMs = Or(probe.TimeoutMs, ProbeTimeoutMs);
        probe.SuccessThreshold = Or(probe.SuccessThreshold, ProbeSuccessThreshold);
        probe.FailureThreshold = Or(probe.FailureThreshold, ProbeFailureThreshold);
    }

    private static void FillStrategy(StrategySpec strategy, ICollection<string>? notes)
    {
        // No steps: switch all traffic once the new release is ready (blue-green, like a PM2 reload).
        if (strategy.Steps.Count == 0)
        {
            strategy.Steps.Add(new StepSpec { Weight = 100 });
        }
        else if (strategy.Steps[^1].Weight < 100)
        {
            // Every deploy ends with the new release at 100 %; the steps before are the canary.
            strategy.Steps.Add(new StepSpec { Weight = 100 });
            notes?.Add($"strategy.steps: the last step is at {strategy.Steps[^2].Weight}%; a final step at 100% was appended");
        }

        if (strategy.Analysis is { } analysis)
        {
            analysis.MinRequests = Or(analysis.MinRequests, AnalysisMinRequests);
            analysis.WindowMs = Or(analysis.WindowMs, AnalysisWindowMs);
        }

        var pauses = strategy.Steps.Aggregate(0UL, (sum, step) => sum + step.PauseMs);
        strategy.ProgressDeadlineMs = Or(strategy.ProgressDeadlineMs, (uint)Math.Min(uint.MaxValue, ProgressDeadlineBaseMs + pauses));
        strategy.ReadyDeadlineMs = Or(strategy.ReadyDeadlineMs, ReadyDeadlineMs);
        strategy.DrainTimeoutMs = Or(strategy.DrainTimeoutMs, DrainTimeoutMs);
        strategy.RollbackWindowMs = Or(strategy.RollbackWindowMs, RollbackWindowMs);
        strategy.AckTimeoutMs = Or(strategy.AckTimeoutMs, AckTimeoutMs);
    }

    private static uint Or(uint value, uint fallback) => value == 0 ? fallback : value;

    private static string Or(string value, string fallback) => value.Length == 0 ? fallback : value;
}
