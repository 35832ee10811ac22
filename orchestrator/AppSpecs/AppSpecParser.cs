using Baton.Protos.Orchestrator.V1;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// Reads an app spec's YAML into the AppSpec proto through YamlDotNet's representation model,
/// which keeps every node's line, so each problem can be reported where it was written. It checks
/// shape only (mappings, lists, numbers, durations, known keys); ranges and cross-field rules are
/// <see cref="AppSpecValidator"/>'s. It never stops at the first problem, except a YAML syntax
/// error, after which nothing can be read reliably.
/// </summary>
public static class AppSpecParser
{
    internal static readonly IReadOnlyList<string> RootKeys =
        ["name", "command", "args", "env", "working_dir", "run_as_user", "placement", "readiness", "liveness", "stop", "restart", "routing", "strategy"];
    internal static readonly IReadOnlyList<string> PlacementKeys = ["instances_per_agent", "instances", "agents", "labels"];
    internal static readonly IReadOnlyList<string> ProbeKeys =
        ["type", "path", "service", "port", "initial_delay", "interval", "timeout", "success_threshold", "failure_threshold"];
    internal static readonly IReadOnlyList<string> StopKeys = ["signal", "timeout"];
    internal static readonly IReadOnlyList<string> RestartKeys = ["policy", "backoff", "crash_loop"];
    internal static readonly IReadOnlyList<string> BackoffKeys = ["initial", "max"];
    internal static readonly IReadOnlyList<string> CrashLoopKeys = ["restarts", "window"];
    internal static readonly IReadOnlyList<string> RoutingKeys = ["protocol", "public_port", "domains", "request_timeout", "retries"];
    internal static readonly IReadOnlyList<string> StrategyKeys =
        ["steps", "analysis", "progress_deadline", "ready_deadline", "drain_timeout", "rollback_window", "ack_timeout"];
    internal static readonly IReadOnlyList<string> StepKeys = ["weight", "pause", "manual"];
    internal static readonly IReadOnlyList<string> AnalysisKeys = ["max_error_rate", "min_requests", "window"];

    /// <param name="yaml">The spec's text.</param>
    /// <param name="sourceName">Shown in every error (e.g. the file name); empty becomes "spec".</param>
    public static ParsedAppSpec Parse(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var errors = new SpecErrorList(string.IsNullOrWhiteSpace(sourceName) ? "spec" : sourceName);
        var locations = new SpecLocations();
        var spec = new AppSpec();
        var unreadable = new ParsedAppSpec(spec, locations, errors, Readable: false);

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            errors.Add((int)Math.Min(e.Start.Line, int.MaxValue), "", $"not valid YAML: {YamlMessage(e)}");
            return unreadable;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this, without a position, for some malformed input
            // (e.g. an unclosed flow sequence followed by more keys).
            errors.Add(null, "", $"not valid YAML: {e.Message} (look for an unclosed [ or {{)");
            return unreadable;
        }

        if (stream.Documents.Count == 0 || SpecYamlReader.IsNull(stream.Documents[0].RootNode))
        {
            errors.Add(1, "", "the spec is empty; it needs at least name and command");
            return unreadable;
        }
        if (stream.Documents.Skip(1).FirstOrDefault(d => !SpecYamlReader.IsNull(d.RootNode)) is { } second)
        {
            errors.Add(SpecYamlReader.LineOf(second.RootNode), "", "only one app per file: remove the second YAML document (after ---)");
        }

        var reader = new SpecYamlReader(errors, locations);
        var rootNode = stream.Documents[0].RootNode;
        if (rootNode is not YamlMappingNode root)
        {
            errors.Add(SpecYamlReader.LineOf(rootNode), "", "the spec must be a mapping of fields (name: …, command: …)");
            return unreadable;
        }
        locations.Record("", SpecYamlReader.LineOf(root));
        ReadRoot(reader, root, spec);
        return unreadable with { Readable = true };
    }

    private static void ReadRoot(SpecYamlReader reader, YamlMappingNode root, AppSpec spec)
    {
        var keys = reader.Keys(root, "", RootKeys);
        if (reader.Text(Get(keys, "name"), "name") is { } name) spec.Name = name;
        if (reader.Text(Get(keys, "command"), "command") is { } command) spec.Command = command;
        if (reader.TextList(Get(keys, "args"), "args") is { } args) spec.Args.AddRange(args);
        if (reader.TextMap(Get(keys, "env"), "env") is { } env)
        {
            foreach (var (key, value) in env) spec.Env[key] = value;
        }
        if (reader.Text(Get(keys, "working_dir"), "working_dir") is { } workingDir) spec.WorkingDir = workingDir;
        if (reader.Text(Get(keys, "run_as_user"), "run_as_user") is { } user) spec.RunAsUser = user;
        if (reader.Mapping(Get(keys, "placement"), "placement") is { } placement) spec.Placement = ReadPlacement(reader, placement);
        if (reader.Mapping(Get(keys, "readiness"), "readiness") is { } readiness) spec.Readiness = ReadProbe(reader, readiness, "readiness");
        if (reader.Mapping(Get(keys, "liveness"), "liveness") is { } liveness) spec.Liveness = ReadProbe(reader, liveness, "liveness");
        if (reader.Mapping(Get(keys, "stop"), "stop") is { } stop) spec.Stop = ReadStop(reader, stop);
        if (reader.Mapping(Get(keys, "restart"), "restart") is { } restart) spec.Restart = ReadRestart(reader, restart);
        if (reader.Mapping(Get(keys, "routing"), "routing") is { } routing) spec.Routing = ReadRouting(reader, routing);
        if (reader.Mapping(Get(keys, "strategy"), "strategy") is { } strategy) spec.Strategy = ReadStrategy(reader, strategy);
    }

    private static Placement ReadPlacement(SpecYamlReader reader, YamlMappingNode node)
    {
        var keys = reader.Keys(node, "placement", PlacementKeys);
        var placement = new Placement();
        if (AtLeastOne(reader, Get(keys, "instances_per_agent"), "placement.instances_per_agent") is { } perAgent) placement.InstancesPerAgent = perAgent;
        if (AtLeastOne(reader, Get(keys, "instances"), "placement.instances") is { } total) placement.Instances = total;
        if (reader.TextList(Get(keys, "agents"), "placement.agents") is { } agents) placement.Agents.AddRange(agents);
        if (reader.TextMap(Get(keys, "labels"), "placement.labels") is { } labels)
        {
            foreach (var (key, value) in labels) placement.Labels[key] = value;
        }
        return placement;
    }

    private static ProbeSpec ReadProbe(SpecYamlReader reader, YamlMappingNode node, string path)
    {
        var keys = reader.Keys(node, path, ProbeKeys);
        var probe = new ProbeSpec();
        if (reader.Text(Get(keys, "type"), $"{path}.type") is { } type) probe.Type = type.Trim().ToLowerInvariant();
        if (reader.Text(Get(keys, "path"), $"{path}.path") is { } httpPath) probe.Path = httpPath;
        if (reader.Text(Get(keys, "service"), $"{path}.service") is { } service) probe.Service = service;
        if (reader.Count(Get(keys, "port"), $"{path}.port") is { } port) probe.Port = port;
        if (reader.Duration(Get(keys, "initial_delay"), $"{path}.initial_delay") is { } delay) probe.InitialDelayMs = delay;
        if (reader.Duration(Get(keys, "interval"), $"{path}.interval", AppSpecDefaults.ProbeIntervalMs) is { } interval) probe.IntervalMs = interval;
        if (reader.Duration(Get(keys, "timeout"), $"{path}.timeout", AppSpecDefaults.ProbeTimeoutMs) is { } timeout) probe.TimeoutMs = timeout;
        if (AtLeastOne(reader, Get(keys, "success_threshold"), $"{path}.success_threshold") is { } success) probe.SuccessThreshold = success;
        if (AtLeastOne(reader, Get(keys, "failure_threshold"), $"{path}.failure_threshold") is { } failure) probe.FailureThreshold = failure;
        return probe;
    }

    private static StopSpec ReadStop(SpecYamlReader reader, YamlMappingNode node)
    {
        var keys = reader.Keys(node, "stop", StopKeys);
        var stop = new StopSpec();
        if (reader.Text(Get(keys, "signal"), "stop.signal") is { } signal) stop.Signal = SpecVocabulary.CanonicalSignal(signal);
        if (reader.Duration(Get(keys, "timeout"), "stop.timeout", AppSpecDefaults.StopTimeoutMs) is { } timeout) stop.TimeoutMs = timeout;
        return stop;
    }

    private static RestartSpec ReadRestart(SpecYamlReader reader, YamlMappingNode node)
    {
        var keys = reader.Keys(node, "restart", RestartKeys);
        var restart = new RestartSpec();
        if (reader.Text(Get(keys, "policy"), "restart.policy") is { } policy) restart.Policy = policy.Trim().ToLowerInvariant();
        if (reader.Mapping(Get(keys, "backoff"), "restart.backoff") is { } backoffNode)
        {
            var backoff = reader.Keys(backoffNode, "restart.backoff", BackoffKeys);
            if (reader.Duration(Get(backoff, "initial"), "restart.backoff.initial", AppSpecDefaults.InitialBackoffMs) is { } initial) restart.InitialBackoffMs = initial;
            if (reader.Duration(Get(backoff, "max"), "restart.backoff.max", AppSpecDefaults.MaxBackoffMs) is { } max) restart.MaxBackoffMs = max;
        }
        if (reader.Mapping(Get(keys, "crash_loop"), "restart.crash_loop") is { } crashNode)
        {
            var crash = reader.Keys(crashNode, "restart.crash_loop", CrashLoopKeys);
            if (AtLeastOne(reader, Get(crash, "restarts"), "restart.crash_loop.restarts") is { } restarts) restart.CrashLoopRestarts = restarts;
            if (reader.Duration(Get(crash, "window"), "restart.crash_loop.window", AppSpecDefaults.CrashLoopWindowMs) is { } window) restart.CrashLoopWindowMs = window;
        }
        return restart;
    }

    private static RoutingSpec ReadRouting(SpecYamlReader reader, YamlMappingNode node)
    {
        var keys = reader.Keys(node, "routing", RoutingKeys);
        var routing = new RoutingSpec();
        if (reader.Text(Get(keys, "protocol"), "routing.protocol") is { } protocol) routing.Protocol = protocol.Trim().ToLowerInvariant();
        if (reader.Count(Get(keys, "public_port"), "routing.public_port") is { } port) routing.PublicPort = port;
        if (reader.TextList(Get(keys, "domains"), "routing.domains") is { } domains) routing.Domains.AddRange(domains);
        if (reader.Duration(Get(keys, "request_timeout"), "routing.request_timeout", AppSpecDefaults.RequestTimeoutMs) is { } timeout) routing.RequestTimeoutMs = timeout;
        if (reader.Count(Get(keys, "retries"), "routing.retries") is { } retries) routing.Retries = retries;
        return routing;
    }

    private static StrategySpec ReadStrategy(SpecYamlReader reader, YamlMappingNode node)
    {
        var keys = reader.Keys(node, "strategy", StrategyKeys);
        var strategy = new StrategySpec();
        if (reader.Sequence(Get(keys, "steps"), "strategy.steps") is { } steps)
        {
            for (var i = 0; i < steps.Children.Count; i++)
            {
                var stepPath = $"strategy.steps[{i}]";
                var stepNode = steps.Children[i];
                reader.Locations.Record(stepPath, SpecYamlReader.LineOf(stepNode));
                if (SpecYamlReader.IsNull(stepNode))
                {
                    reader.Error(stepNode, stepPath, "is empty; write {weight: N} with pause or manual");
                    continue;
                }
                if (reader.Mapping(stepNode, stepPath) is { } stepMapping)
                    strategy.Steps.Add(ReadStep(reader, stepMapping, stepPath));
            }
        }
        if (reader.Mapping(Get(keys, "analysis"), "strategy.analysis") is { } analysisNode)
        {
            var analysisKeys = reader.Keys(analysisNode, "strategy.analysis", AnalysisKeys);
            var analysis = new AnalysisSpec();
            // 0 is a meaningful error rate ("no error at all"), so it cannot be left to a default.
            if (reader.Number(Get(analysisKeys, "max_error_rate"), "strategy.analysis.max_error_rate") is { } rate)
                analysis.MaxErrorRate = rate;
            else if (!analysisKeys.ContainsKey("max_error_rate"))
                reader.Errors.Add(reader.Locations.LineOf("strategy.analysis"), "strategy.analysis.max_error_rate", "is required when analysis is given (e.g. 0.05 for 5%)");
            if (AtLeastOne(reader, Get(analysisKeys, "min_requests"), "strategy.analysis.min_requests") is { } min) analysis.MinRequests = min;
            if (reader.Duration(Get(analysisKeys, "window"), "strategy.analysis.window", AppSpecDefaults.AnalysisWindowMs) is { } window) analysis.WindowMs = window;
            strategy.Analysis = analysis;
        }
        if (reader.Duration(Get(keys, "progress_deadline"), "strategy.progress_deadline", AppSpecDefaults.ProgressDeadlineBaseMs) is { } progress) strategy.ProgressDeadlineMs = progress;
        if (reader.Duration(Get(keys, "ready_deadline"), "strategy.ready_deadline", AppSpecDefaults.ReadyDeadlineMs) is { } ready) strategy.ReadyDeadlineMs = ready;
        if (reader.Duration(Get(keys, "drain_timeout"), "strategy.drain_timeout", AppSpecDefaults.DrainTimeoutMs) is { } drain) strategy.DrainTimeoutMs = drain;
        if (reader.Duration(Get(keys, "rollback_window"), "strategy.rollback_window", AppSpecDefaults.RollbackWindowMs) is { } rollback) strategy.RollbackWindowMs = rollback;
        if (reader.Duration(Get(keys, "ack_timeout"), "strategy.ack_timeout", AppSpecDefaults.AckTimeoutMs) is { } ack) strategy.AckTimeoutMs = ack;
        return strategy;
    }

    private static StepSpec ReadStep(SpecYamlReader reader, YamlMappingNode node, string path)
    {
        var keys = reader.Keys(node, path, StepKeys);
        var step = new StepSpec();
        if (reader.Count(Get(keys, "weight"), $"{path}.weight") is { } weight) step.Weight = weight;
        else if (!keys.ContainsKey("weight"))
            reader.Error(node, $"{path}.weight", "is required (the percent of traffic for the new release, 0-100)");
        if (reader.Duration(Get(keys, "pause"), $"{path}.pause") is { } pause) step.PauseMs = pause;
        if (reader.Flag(Get(keys, "manual"), $"{path}.manual") is { } manual) step.ManualGate = manual;
        return step;
    }

    /// <summary>A count where 0 would be replaced by the default, so an explicit 0 is refused.</summary>
    private static uint? AtLeastOne(SpecYamlReader reader, YamlNode? node, string path)
    {
        var value = reader.Count(node, path);
        if (value != 0) return value;
        reader.Error(node!, path, "must be at least 1 (leave it out for the default)");
        return null;
    }

    private static YamlNode? Get(IReadOnlyDictionary<string, YamlNode> keys, string key) => keys.GetValueOrDefault(key);

    /// <summary>YamlDotNet's message without its "(Line: …, Col: …)" prefix: the line is reported separately.</summary>
    private static string YamlMessage(YamlException e)
    {
        var message = e.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && cut >= 0) message = message[(cut + 3)..];
        return message.ReplaceLineEndings(" ");
    }
}
