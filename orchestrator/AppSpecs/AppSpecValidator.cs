using System.Text.RegularExpressions;
using Baton.Orchestrator.Validation;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// The rules a spec must meet beyond its shape: names, ranges, and fields that depend on each
/// other. Works on the AppSpec as written (0 or empty meaning "take the default"), and names
/// each field by its YAML path, located through <see cref="SpecLocations"/>. The limits mirror
/// what the agent accepts, so a spec that passes here is never refused by an agent mid-deploy.
/// </summary>
public static partial class AppSpecValidator
{
    public const int MaxCommandLength = 4096;
    public const uint MaxInstancesPerAgent = 64;
    public const uint MaxInstances = 1000;
    public const uint MinProbeIntervalMs = 50;
    public const uint MinProbeTimeoutMs = 10;
    public const uint MaxThreshold = 100;
    public const int MaxProbePathLength = 2048;
    public const int MaxProbeServiceLength = 1024;
    public const uint MaxRetries = 10;
    public const int MaxSteps = 50;
    public const uint MaxCrashLoopRestarts = 1000;
    public const uint MinAckTimeoutMs = 1000;
    public const uint OneHourMs = 3_600_000;
    public const uint OneDayMs = 86_400_000;
    public const uint OneWeekMs = 604_800_000;

    /// <summary>Set by the agent for every instance; a spec overriding them would break the agent's bookkeeping.</summary>
    public static readonly IReadOnlyList<string> ReservedEnv = ["PORT", "BATON_INSTANCE_ID", "BATON_APP", "BATON_VERSION", "BATON_AGENT_DATA_DIR"];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvNamePattern();

    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\$?$", RegexOptions.CultureInvariant)]
    private static partial Regex UserNamePattern();

    /// <summary>A host name, optionally with a leading "*." wildcard or a ":port"; or "*" alone.</summary>
    [GeneratedRegex(@"^(\*|(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?)$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    /// <summary>Adds every rule violation of <paramref name="spec"/> to <paramref name="errors"/>.</summary>
    public static void Validate(AppSpec spec, SpecLocations locations, SpecErrorList errors)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var check = new Checker(locations, errors);
        ValidateProcess(spec, check);
        if (spec.Placement is { } placement) ValidatePlacement(placement, check);
        if (spec.Readiness is { } readiness) ValidateProbe(readiness, "readiness", check);
        if (spec.Liveness is { } liveness) ValidateProbe(liveness, "liveness", check);
        if (spec.Stop is { } stop) ValidateStop(stop, check);
        if (spec.Restart is { } restart) ValidateRestart(restart, check);
        ValidateRouting(spec.Routing ?? new RoutingSpec(), check);
        if (spec.Strategy is { } strategy) ValidateStrategy(strategy, check);
    }

    private static void ValidateProcess(AppSpec spec, Checker check)
    {
        if (spec.Name.Length == 0) check.Fail("name", "is required");
        else if (!NameValidator.IsValid(spec.Name)) check.Fail("name", $"{NameValidator.Show(spec.Name)} is not a valid name: {NameValidator.Rule}");
        else if (spec.Name.Contains('.') || !char.IsAsciiLetterOrDigit(spec.Name[^1]))
            check.Fail("name", $"\"{spec.Name}\" cannot name an app: app names also name Envoy clusters and xds:/// targets, so they use only lowercase letters, digits and '-', and end with a letter or digit");

        if (spec.Command.Length == 0) check.Fail("command", "is required (the executable to run; no shell is involved)");
        else if (spec.Command.Length > MaxCommandLength) check.Fail("command", $"is {spec.Command.Length} characters long; at most {MaxCommandLength} are allowed");
        else if (spec.Command.Contains('\0')) check.Fail("command", "contains a NUL character");

        for (var i = 0; i < spec.Args.Count; i++)
        {
            if (spec.Args[i].Contains('\0')) check.Fail($"args[{i}]", "contains a NUL character");
        }

        foreach (var (key, value) in spec.Env)
        {
            var path = $"env.{key}";
            if (!EnvNamePattern().IsMatch(key)) check.Fail(path, $"\"{key}\" is not a valid variable name: use letters, digits and '_', not starting with a digit");
            else if (ReservedEnv.Contains(key, StringComparer.Ordinal)) check.Fail(path, "is set by the agent for every instance and cannot be overridden");
            if (value.Contains('\0')) check.Fail(path, "contains a NUL character");
        }

        var workingDir = spec.WorkingDir;
        if (workingDir.Contains('\0')) check.Fail("working_dir", "contains a NUL character");
        else if (workingDir.StartsWith('/')) check.Fail("working_dir", $"\"{workingDir}\" must be relative to the release folder");
        else if (workingDir.Split('/').Contains("..")) check.Fail("working_dir", $"\"{workingDir}\" must stay inside the release folder (no '..')");

        if (spec.RunAsUser.Length > 0 && !UserNamePattern().IsMatch(spec.RunAsUser))
            check.Fail("run_as_user", $"\"{spec.RunAsUser}\" is not a valid user name");
    }

    private static void ValidatePlacement(Placement placement, Checker check)
    {
        if (placement.InstancesPerAgent > 0 && placement.Instances > 0)
            check.Fail("placement.instances", "set either instances_per_agent or instances, not both");
        if (placement.InstancesPerAgent > MaxInstancesPerAgent)
            check.Fail("placement.instances_per_agent", $"{placement.InstancesPerAgent} is more than the {MaxInstancesPerAgent} instances of one app an agent may run");
        if (placement.Instances > MaxInstances)
            check.Fail("placement.instances", $"{placement.Instances} is more than the {MaxInstances} instances an app may have");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < placement.Agents.Count; i++)
        {
            var agent = placement.Agents[i];
            var path = $"placement.agents[{i}]";
            if (!NameValidator.IsValid(agent)) check.Fail(path, $"{NameValidator.Show(agent)} is not a valid agent name: {NameValidator.Rule}");
            else if (!seen.Add(agent)) check.Fail(path, $"\"{agent}\" is listed twice");
        }
        foreach (var (key, value) in placement.Labels)
        {
            var path = $"placement.labels.{key}";
            if (!LabelValidator.IsValidKey(key)) check.Fail(path, $"\"{key}\" is not a valid label name: {LabelValidator.KeyRule}");
            if (!LabelValidator.IsValidValue(value)) check.Fail(path, $"\"{value}\" is not a valid label value: {LabelValidator.ValueRule}");
        }
    }

    private static void ValidateProbe(ProbeSpec probe, string path, Checker check)
    {
        if (probe.Type.Length == 0) check.Fail($"{path}.type", $"is required ({SpecVocabulary.OneOf(SpecVocabulary.ProbeTypes)})");
        else if (!SpecVocabulary.ProbeTypes.Contains(probe.Type))
            check.Fail($"{path}.type", $"\"{probe.Type}\" is not a probe type: use {SpecVocabulary.OneOf(SpecVocabulary.ProbeTypes)}");

        if (probe.Path.Length > 0)
        {
            if (probe.Type != SpecVocabulary.ProbeHttp && probe.Type.Length > 0) check.Fail($"{path}.path", "only http probes have a path");
            else ValidateProbePath(probe.Path, $"{path}.path", check);
        }
        if (probe.Service.Length > 0)
        {
            if (probe.Type != SpecVocabulary.ProbeGrpc && probe.Type.Length > 0) check.Fail($"{path}.service", "only grpc probes have a service");
            else if (probe.Service.Length > MaxProbeServiceLength)
                check.Fail($"{path}.service", $"is {probe.Service.Length} characters long; at most {MaxProbeServiceLength} are allowed");
            else if (probe.Service.Any(char.IsControl)) check.Fail($"{path}.service", "must not contain control characters");
        }
        if (probe.Port > 65535) check.Fail($"{path}.port", $"{probe.Port} is not a port (1-65535, or 0 for the instance's own port)");

        check.Duration($"{path}.initial_delay", probe.InitialDelayMs, 0, OneHourMs);
        check.Duration($"{path}.interval", probe.IntervalMs, MinProbeIntervalMs, OneHourMs);
        check.Duration($"{path}.timeout", probe.TimeoutMs, MinProbeTimeoutMs, OneHourMs);
        check.AtMost($"{path}.success_threshold", probe.SuccessThreshold, MaxThreshold);
        check.AtMost($"{path}.failure_threshold", probe.FailureThreshold, MaxThreshold);
    }

    private static void ValidateProbePath(string probePath, string path, Checker check)
    {
        if (probePath[0] != '/') check.Fail(path, $"\"{probePath}\" must start with '/'");
        else if (probePath.Length > MaxProbePathLength) check.Fail(path, $"is {probePath.Length} characters long; at most {MaxProbePathLength} are allowed");
        else if (probePath.Any(c => c is < '!' or > '~')) check.Fail(path, "may only hold printable ASCII characters without spaces (percent-encode the others)");
        else if (probePath.Contains('#')) check.Fail(path, "must not contain '#': a fragment is never sent to the server");
    }

    private static void ValidateStop(StopSpec stop, Checker check)
    {
        if (stop.Signal == "SIGKILL")
            check.Fail("stop.signal", "SIGKILL cannot be the stop signal: the agent sends it itself when the stop timeout runs out");
        else if (stop.Signal.Length > 0 && !SpecVocabulary.StopSignals.Contains(stop.Signal))
            check.Fail("stop.signal", $"\"{stop.Signal}\" is not a stop signal: use {SpecVocabulary.OneOf(SpecVocabulary.StopSignals)}");
        check.Duration("stop.timeout", stop.TimeoutMs, 0, OneHourMs);
    }

    private static void ValidateRestart(RestartSpec restart, Checker check)
    {
        if (restart.Policy.Length > 0 && !SpecVocabulary.RestartPolicies.Contains(restart.Policy))
            check.Fail("restart.policy", $"\"{restart.Policy}\" is not a restart policy: use {SpecVocabulary.OneOf(SpecVocabulary.RestartPolicies)}");
        check.Duration("restart.backoff.initial", restart.InitialBackoffMs, 0, OneHourMs);
        check.Duration("restart.backoff.max", restart.MaxBackoffMs, 0, OneHourMs);
        if (restart.InitialBackoffMs > 0 && restart.MaxBackoffMs > 0 && restart.InitialBackoffMs > restart.MaxBackoffMs)
            check.Fail("restart.backoff.initial", $"{SpecDuration.Format(restart.InitialBackoffMs)} is longer than restart.backoff.max ({SpecDuration.Format(restart.MaxBackoffMs)})");
        check.AtMost("restart.crash_loop.restarts", restart.CrashLoopRestarts, MaxCrashLoopRestarts);
        check.Duration("restart.crash_loop.window", restart.CrashLoopWindowMs, 0, OneDayMs);
    }

    private static void ValidateRouting(RoutingSpec routing, Checker check)
    {
        var protocol = routing.Protocol.Length == 0 ? AppSpecDefaults.Protocol : routing.Protocol;
        if (!SpecVocabulary.Protocols.Contains(protocol))
            check.Fail("routing.protocol", $"\"{routing.Protocol}\" is not a protocol: use {SpecVocabulary.OneOf(SpecVocabulary.Protocols)}");
        if (routing.PublicPort > 65535)
            check.Fail("routing.public_port", $"{routing.PublicPort} is not a port (1-65535)");
        else if (routing.PublicPort == 0 && protocol == SpecVocabulary.ProtocolHttp)
            check.Fail("routing.public_port", "is required for http apps (the port Envoy listens on for the app)");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < routing.Domains.Count; i++)
        {
            var domain = routing.Domains[i];
            var path = $"routing.domains[{i}]";
            if (!DomainPattern().IsMatch(domain)) check.Fail(path, $"\"{domain}\" is not a domain: use a lowercase host name, optionally \"*.\" in front or \":port\" behind, or \"*\"");
            else if (!seen.Add(domain)) check.Fail(path, $"\"{domain}\" is listed twice");
        }
        check.Duration("routing.request_timeout", routing.RequestTimeoutMs, 0, OneHourMs);
        check.AtMost("routing.retries", routing.Retries, MaxRetries);
    }

    private static void ValidateStrategy(StrategySpec strategy, Checker check)
    {
        if (strategy.Steps.Count > MaxSteps) check.Fail($"strategy.steps[{MaxSteps}]", $"{strategy.Steps.Count} steps are more than the {MaxSteps} allowed");
        uint? previous = null;
        ulong pauses = 0;
        for (var i = 0; i < strategy.Steps.Count; i++)
        {
            var step = strategy.Steps[i];
            var path = $"strategy.steps[{i}]";
            if (step.Weight > 100) check.Fail($"{path}.weight", $"{step.Weight} is not a percentage (0-100)");
            else if (previous is { } before && step.Weight < before)
                check.Fail($"{path}.weight", $"{step.Weight} is lower than the previous step's {before}: weights may not decrease");
            if (step.Weight <= 100) previous = step.Weight;
            if (step.PauseMs > 0 && step.ManualGate)
                check.Fail($"{path}.manual", "a step either pauses or waits for `baton resume`, not both");
            check.Duration($"{path}.pause", step.PauseMs, 0, OneDayMs);
            pauses += step.PauseMs;
        }

        if (strategy.Analysis is { } analysis)
        {
            if (double.IsNaN(analysis.MaxErrorRate) || analysis.MaxErrorRate < 0 || analysis.MaxErrorRate > 1)
                check.Fail("strategy.analysis.max_error_rate", $"{analysis.MaxErrorRate.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a rate (0-1, e.g. 0.05 for 5%)");
            check.Duration("strategy.analysis.window", analysis.WindowMs, 1000, OneHourMs);
        }

        check.Duration("strategy.progress_deadline", strategy.ProgressDeadlineMs, 0, OneWeekMs);
        if (strategy.ProgressDeadlineMs > 0 && strategy.ProgressDeadlineMs <= pauses)
            check.Fail("strategy.progress_deadline", $"{SpecDuration.Format(strategy.ProgressDeadlineMs)} is not longer than the steps' pauses ({SpecDuration.Format((uint)Math.Min(pauses, uint.MaxValue))} in total)");
        check.Duration("strategy.ready_deadline", strategy.ReadyDeadlineMs, 0, OneHourMs);
        check.Duration("strategy.drain_timeout", strategy.DrainTimeoutMs, 0, OneHourMs);
        check.Duration("strategy.rollback_window", strategy.RollbackWindowMs, 0, OneWeekMs);
        check.Duration("strategy.ack_timeout", strategy.AckTimeoutMs, MinAckTimeoutMs, 600_000);
    }

    /// <summary>Reports a failed rule at the field's line.</summary>
    private sealed class Checker(SpecLocations locations, SpecErrorList errors)
    {
        public void Fail(string path, string message) => errors.Add(locations.LineOf(path), path, message);

        /// <summary>A duration where 0 means "default" (always allowed), else within [min, max].</summary>
        public void Duration(string path, uint ms, uint min, uint max)
        {
            if (ms == 0) return;
            if (ms < min) Fail(path, $"{SpecDuration.Format(ms)} is shorter than the minimum of {SpecDuration.Format(min)}");
            else if (ms > max) Fail(path, $"{SpecDuration.Format(ms)} is longer than the maximum of {SpecDuration.Format(max)}");
        }

        public void AtMost(string path, uint value, uint max)
        {
            if (value > max) Fail(path, $"{value} is more than the maximum of {max}");
        }
    }
}
