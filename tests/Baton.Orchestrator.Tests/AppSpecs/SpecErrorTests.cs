using static Baton.Orchestrator.Tests.AppSpecs.SpecYaml;

namespace Baton.Orchestrator.Tests.AppSpecs;

/// <summary>Every validation error, with its exact message: source, line, field path and reason.</summary>
public sealed class SpecErrorTests
{
    [Theory]
    // process
    [InlineData("web.yaml:1: name: \"Web\" is not a valid name: use 1-63 lowercase letters, digits, '-' or '.', starting with a letter or digit", "name: Web", "command: node", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:1: name: \"web.v2\" cannot name an app: app names also name Envoy clusters and xds:/// targets, so they use only lowercase letters, digits and '-', and end with a letter or digit", "name: web.v2", "command: node", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:1: command: is required (the executable to run; no shell is involved)", "name: web", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:3: args: expected a list, found \"server.js\"", "name: web", "command: node", "args: server.js", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:4: env.PORT: is set by the agent for every instance and cannot be overridden", "name: web", "command: node", "env:", "  PORT: \"3000\"", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:4: env.1X: \"1X\" is not a valid variable name: use letters, digits and '_', not starting with a digit", "name: web", "command: node", "env:", "  1X: a", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:4: env.EMPTY: has no value (write \"\" for an empty one)", "name: web", "command: node", "env:", "  EMPTY:", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:3: working_dir: \"/srv/web\" must be relative to the release folder", "name: web", "command: node", "working_dir: /srv/web", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:3: working_dir: \"app/../../etc\" must stay inside the release folder (no '..')", "name: web", "command: node", "working_dir: app/../../etc", "routing: {public_port: 8080}")]
    [InlineData("web.yaml:3: run_as_user: \"Root User\" is not a valid user name", "name: web", "command: node", "run_as_user: Root User", "routing: {public_port: 8080}")]
    public void Process_fields(string expected, params string[] lines) => Assert.Equal(expected, Error(Lines(lines)));

    [Theory]
    [InlineData("web.yaml:5: placement: expected a mapping (key: value lines), found \"3\"", "placement: 3")]
    [InlineData("web.yaml:6: placement.instances: \"two\" is not a whole number", "placement:", "  instances: two")]
    [InlineData("web.yaml:6: placement.instances: -1 is negative", "placement:", "  instances: -1")]
    [InlineData("web.yaml:6: placement.instances: 99999999999 is too large (at most 4294967295)", "placement:", "  instances: 99999999999")]
    [InlineData("web.yaml:6: placement.instances: must be at least 1 (leave it out for the default)", "placement:", "  instances: 0")]
    [InlineData("web.yaml:7: placement.instances: set either instances_per_agent or instances, not both", "placement:", "  instances_per_agent: 2", "  instances: 4")]
    [InlineData("web.yaml:6: placement.instances_per_agent: 65 is more than the 64 instances of one app an agent may run", "placement:", "  instances_per_agent: 65")]
    [InlineData("web.yaml:6: placement.instances: 1001 is more than the 1000 instances an app may have", "placement:", "  instances: 1001")]
    [InlineData("web.yaml:6: placement.agents[1]: \"a1\" is listed twice", "placement:", "  agents: [a1, a1]")]
    [InlineData("web.yaml:6: placement.agents[0]: \"Host_A\" is not a valid agent name: use 1-63 lowercase letters, digits, '-' or '.', starting with a letter or digit", "placement:", "  agents: [Host_A]")]
    [InlineData("web.yaml:7: placement.labels.zone: \"eu 1\" is not a valid label value: use at most 63 letters, digits, '.', '_' or '-'", "placement:", "  labels:", "    zone: eu 1")]
    public void Placement(string expected, params string[] extra) => Assert.Equal(expected, Error(With(extra)));

    [Theory]
    [InlineData("web.yaml:5: readiness.type: is required (tcp, http or grpc)", "readiness:", "  path: /healthz")]
    [InlineData("web.yaml:6: readiness.type: \"udp\" is not a probe type: use tcp, http or grpc", "readiness:", "  type: udp")]
    [InlineData("web.yaml:7: readiness.path: only http probes have a path", "readiness:", "  type: tcp", "  path: /healthz")]
    [InlineData("web.yaml:7: readiness.service: only grpc probes have a service", "readiness:", "  type: http", "  service: greeter")]
    [InlineData("web.yaml:7: readiness.path: \"healthz\" must start with '/'", "readiness:", "  type: http", "  path: healthz")]
    [InlineData("web.yaml:7: readiness.path: must not contain '#': a fragment is never sent to the server", "readiness:", "  type: http", "  path: /health#x")]
    [InlineData("web.yaml:7: readiness.port: 70000 is not a port (1-65535, or 0 for the instance's own port)", "readiness:", "  type: tcp", "  port: 70000")]
    [InlineData("web.yaml:7: readiness.interval: 10ms is shorter than the minimum of 50ms", "readiness:", "  type: tcp", "  interval: 10ms")]
    [InlineData("web.yaml:7: readiness.timeout: 2h is longer than the maximum of 1h", "readiness:", "  type: tcp", "  timeout: 2h")]
    [InlineData("web.yaml:7: readiness.timeout: must be longer than 0s (leave it out for the default of 1s)", "readiness:", "  type: tcp", "  timeout: 0s")]
    [InlineData("web.yaml:7: liveness.failure_threshold: 101 is more than the maximum of 100", "liveness:", "  type: tcp", "  failure_threshold: 101")]
    [InlineData("web.yaml:7: liveness.success_threshold: must be at least 1 (leave it out for the default)", "liveness:", "  type: tcp", "  success_threshold: 0")]
    public void Probes(string expected, params string[] extra) => Assert.Equal(expected, Error(With(extra)));

    [Theory]
    [InlineData("web.yaml:6: stop.signal: SIGKILL cannot be the stop signal: the agent sends it itself when the stop timeout runs out", "stop:", "  signal: KILL")]
    [InlineData("web.yaml:6: stop.signal: \"SIGFOO\" is not a stop signal: use SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 or SIGUSR2", "stop:", "  signal: sigfoo")]
    [InlineData("web.yaml:6: stop.timeout: 2h is longer than the maximum of 1h", "stop:", "  timeout: 2h")]
    [InlineData("web.yaml:6: restart.policy: \"sometimes\" is not a restart policy: use always, on-failure or never", "restart:", "  policy: sometimes")]
    [InlineData("web.yaml:7: restart.backoff.initial: 20s is longer than restart.backoff.max (10s)", "restart:", "  backoff:", "    initial: 20s", "    max: 10s")]
    [InlineData("web.yaml:7: restart.crash_loop.restarts: 1001 is more than the maximum of 1000", "restart:", "  crash_loop:", "    restarts: 1001")]
    public void Stop_and_restart(string expected, params string[] extra) => Assert.Equal(expected, Error(With(extra)));

    [Theory]
    [InlineData("web.yaml:4: routing.protocol: \"tcp\" is not a protocol: use http or grpc", "name: web", "command: node", "routing:", "  protocol: tcp", "  public_port: 8080")]
    [InlineData("web.yaml:3: routing.public_port: is required for http apps (the port Envoy listens on for the app)", "name: web", "command: node", "routing:", "  protocol: http")]
    [InlineData("web.yaml:1: routing.public_port: is required for http apps (the port Envoy listens on for the app)", "name: web", "command: node")]
    [InlineData("web.yaml:4: routing.public_port: 70000 is not a port (1-65535)", "name: web", "command: node", "routing:", "  public_port: 70000")]
    public void Routing(string expected, params string[] lines) => Assert.Equal(expected, Error(Lines(lines)));

    [Theory]
    [InlineData("web.yaml:5: routing.domains[1]: \"Web Example\" is not a domain: use a lowercase host name, optionally \"*.\" in front or \":port\" behind, or \"*\"", "  domains: [web.example.com, Web Example]")]
    [InlineData("web.yaml:5: routing.domains[1]: \"a.example\" is listed twice", "  domains: [a.example, a.example]")]
    [InlineData("web.yaml:5: routing.retries: 11 is more than the maximum of 10", "  retries: 11")]
    [InlineData("web.yaml:5: routing.request_timeout: 5 has no unit; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s", "  request_timeout: 5")]
    public void Routing_details(string expected, string line) => Assert.Equal(expected, Error(With(line)));

    [Theory]
    [InlineData("web.yaml:8: strategy.steps[1].weight: 120 is not a percentage (0-100)", "strategy:", "  steps:", "    - weight: 10", "    - weight: 120")]
    [InlineData("web.yaml:8: strategy.steps[1].weight: 5 is lower than the previous step's 50: weights may not decrease", "strategy:", "  steps:", "    - weight: 50", "    - weight: 5")]
    [InlineData("web.yaml:9: strategy.steps[0].manual: a step either pauses or waits for `baton resume`, not both", "strategy:", "  steps:", "    - weight: 10", "      pause: 1m", "      manual: true")]
    [InlineData("web.yaml:8: strategy.steps[0].manual: \"maybe\" is not true or false", "strategy:", "  steps:", "    - weight: 10", "      manual: maybe")]
    [InlineData("web.yaml:7: strategy.steps[0].weight: is required (the percent of traffic for the new release, 0-100)", "strategy:", "  steps:", "    - pause: 1m")]
    [InlineData("web.yaml:7: strategy.steps[0]: expected a mapping (key: value lines), found \"10\"", "strategy:", "  steps:", "    - 10")]
    [InlineData("web.yaml:7: strategy.analysis.max_error_rate: 1.5 is not a rate (0-1, e.g. 0.05 for 5%)", "strategy:", "  analysis:", "    max_error_rate: 1.5")]
    [InlineData("web.yaml:6: strategy.analysis.max_error_rate: is required when analysis is given (e.g. 0.05 for 5%)", "strategy:", "  analysis:", "    window: 1m")]
    [InlineData("web.yaml:8: strategy.analysis.min_requests: must be at least 1 (leave it out for the default)", "strategy:", "  analysis:", "    max_error_rate: 0", "    min_requests: 0")]
    [InlineData("web.yaml:8: strategy.progress_deadline: 5m is not longer than the steps' pauses (10m in total)", "strategy:", "  steps:", "    - {weight: 10, pause: 10m}", "  progress_deadline: 5m")]
    [InlineData("web.yaml:6: strategy.ack_timeout: 500ms is shorter than the minimum of 1s", "strategy:", "  ack_timeout: 500ms")]
    [InlineData("web.yaml:6: strategy.rollback_window: must be longer than 0s (leave it out for the default of 10m)", "strategy:", "  rollback_window: 0s")]
    [InlineData("web.yaml:6: strategy.drain_timeout: \"soon\" is not a duration; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s", "strategy:", "  drain_timeout: soon")]
    public void Strategy(string expected, params string[] extra) => Assert.Equal(expected, Error(With(extra)));

    [Fact]
    public void Unknown_keys_are_errors_with_a_suggestion_for_near_misses()
    {
        var errors = Errors(With("comand: node2", "strategy:", "  stpes: []", "  foo: 1", "readiness:", "  type: tcp", "  intervl: 1s"));
        Assert.Equal(
        [
            "web.yaml:5: comand: unknown key (did you mean \"command\"?)",
            "web.yaml:7: strategy.stpes: unknown key (did you mean \"steps\"?)",
            "web.yaml:8: strategy.foo: unknown key (known: steps, analysis, progress_deadline, ready_deadline, drain_timeout, rollback_window, ack_timeout)",
            "web.yaml:11: readiness.intervl: unknown key (did you mean \"interval\"?)",
        ], errors);
    }

    [Fact]
    public void All_errors_are_reported_together_in_line_order()
    {
        var errors = Errors(Lines(
            "name: Web",                  // 1
            "command: node",              // 2
            "routing:",                   // 3
            "  public_port: 99999",       // 4
            "strategy:",                  // 5
            "  steps:",                   // 6
            "    - weight: 120",          // 7
            "  ack_timeout: 1",           // 8
            "stop: {signal: SIGBAD}"));   // 9
        Assert.Equal(
        [
            "web.yaml:1: name: \"Web\" is not a valid name: use 1-63 lowercase letters, digits, '-' or '.', starting with a letter or digit",
            "web.yaml:4: routing.public_port: 99999 is not a port (1-65535)",
            "web.yaml:7: strategy.steps[0].weight: 120 is not a percentage (0-100)",
            "web.yaml:8: strategy.ack_timeout: 1 has no unit; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s",
            "web.yaml:9: stop.signal: \"SIGBAD\" is not a stop signal: use SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 or SIGUSR2",
        ], errors);
    }

    [Theory]
    [InlineData("", "web.yaml:1: the spec is empty; it needs at least name and command")]
    [InlineData("- name: web\n", "web.yaml:1: the spec must be a mapping of fields (name: …, command: …)")]
    [InlineData("name: web\ncommand: node\nrouting: {public_port: 8080}\n---\nname: api\n", "web.yaml:5: only one app per file: remove the second YAML document (after ---)")]
    public void Document_shape(string yaml, string expected) => Assert.Equal(expected, Error(yaml));

    [Fact]
    public void Yaml_syntax_errors_name_the_line()
    {
        var error = Error(Lines("name: web", "command: node", "args: [a, b", "routing: {public_port: 8080}"));
        Assert.StartsWith("web.yaml: not valid YAML: ", error);
        Assert.DoesNotContain("(Line:", error);
    }

    [Fact]
    public void A_duplicate_key_is_a_yaml_error_on_its_line()
    {
        var error = Error(Lines("name: web", "command: node", "name: api", "routing: {public_port: 8080}"));
        Assert.StartsWith("web.yaml:3: not valid YAML: ", error);
    }

    [Fact]
    public void The_source_name_defaults_to_spec() =>
        Assert.Equal("spec:1: command: is required (the executable to run; no shell is involved)",
            Assert.Single(Errors(Lines("name: web", "routing: {public_port: 8080}"), source: "")));
}
