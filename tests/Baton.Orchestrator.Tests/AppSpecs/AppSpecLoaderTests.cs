using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.AppSpecs;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;
using static Baton.Orchestrator.Tests.AppSpecs.SpecYaml;

namespace Baton.Orchestrator.Tests.AppSpecs;

public sealed class AppSpecLoaderTests
{
    private const string Complete = """
        name: web
        command: node
        args: [server.js, "--port=$PORT", "123"]
        env:
          NODE_ENV: production
          EMPTY: ""
          NUMBER: 42
        working_dir: app/current
        run_as_user: web
        placement:
          instances: 4
          agents: [host-a, host-b]
          labels: {zone: eu-1, disk: ssd}
        readiness:
          type: http
          path: /ready?full=1
          port: 9000
          initial_delay: 1s
          interval: 500ms
          timeout: 250ms
          success_threshold: 2
          failure_threshold: 4
        liveness:
          type: grpc
          service: web.Health
          interval: 5s
        stop:
          signal: sigint
          timeout: 20s
        restart:
          policy: always
          backoff: {initial: 200ms, max: 20s}
          crash_loop: {restarts: 7, window: 2m}
        routing:
          protocol: grpc
          public_port: 9090
          domains: [web.example.com, "*.example.com", "web:9090"]
          request_timeout: 1m
          retries: 3
        strategy:
          steps:
            - weight: 0
              manual: true
            - {weight: 10, pause: 1m30s}
            - {weight: 10, pause: 30s}
            - weight: 100
              manual: false
          analysis:
            max_error_rate: 0
            min_requests: 5
            window: 30s
          progress_deadline: 1h
          ready_deadline: 3m
          drain_timeout: 45s
          rollback_window: 2h
          ack_timeout: 15s
        """;

    [Fact]
    public void A_complete_spec_is_read_field_by_field()
    {
        var loaded = AppSpecLoader.Load(Complete, "web.yaml");
        var spec = loaded.Spec;

        Assert.Empty(loaded.Notes);
        Assert.Equal("web", spec.Name);
        Assert.Equal("node", spec.Command);
        Assert.Equal(["server.js", "--port=$PORT", "123"], spec.Args);
        Assert.Equal(new Dictionary<string, string> { ["NODE_ENV"] = "production", ["EMPTY"] = "", ["NUMBER"] = "42" }, spec.Env);
        Assert.Equal("app/current", spec.WorkingDir);
        Assert.Equal("web", spec.RunAsUser);

        Assert.Equal(new Placement { Instances = 4, Agents = { "host-a", "host-b" }, Labels = { ["zone"] = "eu-1", ["disk"] = "ssd" } }, spec.Placement);
        Assert.Equal(new ProbeSpec
        {
            Type = "http", Path = "/ready?full=1", Port = 9000, InitialDelayMs = 1000, IntervalMs = 500, TimeoutMs = 250,
            SuccessThreshold = 2, FailureThreshold = 4,
        }, spec.Readiness);
        Assert.Equal(new ProbeSpec { Type = "grpc", Service = "web.Health", IntervalMs = 5000, TimeoutMs = 1000, SuccessThreshold = 1, FailureThreshold = 3 }, spec.Liveness);
        Assert.Equal(new StopSpec { Signal = "SIGINT", TimeoutMs = 20_000 }, spec.Stop);
        Assert.Equal(new RestartSpec { Policy = "always", InitialBackoffMs = 200, MaxBackoffMs = 20_000, CrashLoopRestarts = 7, CrashLoopWindowMs = 120_000 }, spec.Restart);
        Assert.Equal(new RoutingSpec { Protocol = "grpc", PublicPort = 9090, Domains = { "web.example.com", "*.example.com", "web:9090" }, RequestTimeoutMs = 60_000, Retries = 3 }, spec.Routing);

        Assert.Equal(
        [
            new StepSpec { Weight = 0, ManualGate = true },
            new StepSpec { Weight = 10, PauseMs = 90_000 },
            new StepSpec { Weight = 10, PauseMs = 30_000 },
            new StepSpec { Weight = 100 },
        ], spec.Strategy.Steps);
        Assert.Equal(new AnalysisSpec { MaxErrorRate = 0, MinRequests = 5, WindowMs = 30_000 }, spec.Strategy.Analysis);
        Assert.Equal(3_600_000u, spec.Strategy.ProgressDeadlineMs);
        Assert.Equal(180_000u, spec.Strategy.ReadyDeadlineMs);
        Assert.Equal(45_000u, spec.Strategy.DrainTimeoutMs);
        Assert.Equal(7_200_000u, spec.Strategy.RollbackWindowMs);
        Assert.Equal(15_000u, spec.Strategy.AckTimeoutMs);
    }

    [Fact]
    public void A_loaded_spec_survives_the_wire_and_validates_again_unchanged()
    {
        var spec = AppSpecLoader.Load(Complete, "web.yaml").Spec;
        var back = AppSpec.Parser.ParseFrom(spec.ToByteArray());

        Assert.Equal(spec, back);
        AppSpecLoader.Validate(back, "stored");
        Assert.Equal(spec, AppSpecDefaults.Apply(back));
    }

    [Fact]
    public void The_example_spec_in_the_repository_is_valid()
    {
        var path = Path.Combine(RepoLayout.Root, "examples", "web.yaml");
        var loaded = AppSpecLoader.Load(File.ReadAllText(path), "examples/web.yaml");

        Assert.Equal("web", loaded.Spec.Name);
        Assert.Equal(3, loaded.Spec.Strategy.Steps.Count);
        Assert.Empty(loaded.Notes);
    }

    [Fact]
    public void The_quickstart_spec_loads_as_the_hello_app_documents_it()
    {
        // Copied next to the test assembly by the csproj: the spec the quickstart and the HTTP benchmark apply.
        var path = Path.Combine(AppContext.BaseDirectory, "examples", "hello.yaml");
        var loaded = AppSpecLoader.Load(File.ReadAllText(path), "examples/hello/hello.yaml");
        var spec = loaded.Spec;

        Assert.Empty(loaded.Notes);
        Assert.Equal("hello", spec.Name);
        Assert.Equal("node", spec.Command);
        Assert.Equal(["server.js"], spec.Args);
        Assert.Equal("http", spec.Routing.Protocol);
        Assert.Equal(8080u, spec.Routing.PublicPort);
        Assert.Equal("http", spec.Readiness.Type);
        Assert.Equal("/healthz", spec.Readiness.Path);
        Assert.Equal("SIGTERM", spec.Stop.Signal);
        Assert.Equal(
        [
            new StepSpec { Weight = 10, PauseMs = 2_000 },
            new StepSpec { Weight = 50, PauseMs = 2_000 },
            new StepSpec { Weight = 100 },
        ], spec.Strategy.Steps);
        Assert.Equal(0.01, spec.Strategy.Analysis.MaxErrorRate, 6);
        Assert.Equal(10_000u, spec.Strategy.DrainTimeoutMs);
        Assert.Equal(20_000u, spec.Strategy.ReadyDeadlineMs);
    }

    [Fact]
    public void A_minimal_spec_gets_every_default()
    {
        var spec = AppSpecLoader.Load(With(), "web.yaml").Spec;

        Assert.Equal(new Placement { InstancesPerAgent = 1 }, spec.Placement);
        Assert.Equal(new ProbeSpec { Type = "tcp", IntervalMs = 1000, TimeoutMs = 1000, SuccessThreshold = 1, FailureThreshold = 3 }, spec.Readiness);
        Assert.Null(spec.Liveness);
        Assert.Equal(new StopSpec { Signal = "SIGTERM", TimeoutMs = 10_000 }, spec.Stop);
        Assert.Equal(new RestartSpec { Policy = "on-failure", InitialBackoffMs = 100, MaxBackoffMs = 15_000, CrashLoopRestarts = 10, CrashLoopWindowMs = 60_000 }, spec.Restart);
        Assert.Equal(new RoutingSpec { Protocol = "http", PublicPort = 8080, Domains = { "*" }, RequestTimeoutMs = 15_000 }, spec.Routing);
        Assert.Equal(new StrategySpec
        {
            Steps = { new StepSpec { Weight = 100 } },
            ProgressDeadlineMs = 600_000, ReadyDeadlineMs = 120_000, DrainTimeoutMs = 30_000, RollbackWindowMs = 600_000, AckTimeoutMs = 30_000,
        }, spec.Strategy);
        Assert.Empty(spec.Args);
        Assert.Empty(spec.Env);
    }

    [Fact]
    public void A_last_step_below_100_gets_a_final_step_appended_and_a_note()
    {
        var loaded = AppSpecLoader.Load(With("strategy:", "  steps:", "    - {weight: 10, pause: 5m}", "    - {weight: 50, pause: 5m}"), "web.yaml");

        Assert.Equal([10u, 50u, 100u], loaded.Spec.Strategy.Steps.Select(s => s.Weight));
        Assert.Equal(["strategy.steps: the last step is at 50%; a final step at 100% was appended"], loaded.Notes);
        // The default deadline leaves the base ten minutes on top of the pauses.
        Assert.Equal(600_000u + 600_000u, loaded.Spec.Strategy.ProgressDeadlineMs);
    }

    [Fact]
    public void Analysis_defaults_fill_only_what_was_left_out()
    {
        var spec = AppSpecLoader.Load(With("strategy:", "  analysis:", "    max_error_rate: 0.05"), "web.yaml").Spec;
        Assert.Equal(new AnalysisSpec { MaxErrorRate = 0.05, MinRequests = 20, WindowMs = 60_000 }, spec.Strategy.Analysis);
    }

    [Fact]
    public void Null_values_count_as_absent_and_keys_are_case_sensitive()
    {
        var spec = AppSpecLoader.Load(With("working_dir:", "liveness: ~", "stop:", "  signal: term"), "web.yaml").Spec;
        Assert.Equal("", spec.WorkingDir);
        Assert.Null(spec.Liveness);
        Assert.Equal("SIGTERM", spec.Stop.Signal);
        Assert.Equal("web.yaml:5: Name: unknown key (did you mean \"name\"?)", Error(With("Name: api")));
    }

    [Fact]
    public void Defaults_are_idempotent()
    {
        var once = AppSpecDefaults.Apply(new AppSpec { Name = "web", Command = "node", Strategy = new StrategySpec { Steps = { new StepSpec { Weight = 20 } } } });
        Assert.Equal(once, AppSpecDefaults.Apply(once));
        Assert.Equal([20u, 100u], once.Strategy.Steps.Select(s => s.Weight));
    }

    [Fact]
    public void A_larger_initial_backoff_raises_the_default_maximum_with_it()
    {
        var spec = AppSpecLoader.Load(With("restart:", "  backoff: {initial: 30s}"), "web.yaml").Spec;
        Assert.Equal(30_000u, spec.Restart.InitialBackoffMs);
        Assert.Equal(30_000u, spec.Restart.MaxBackoffMs);
    }

    [Fact]
    public void A_stored_spec_is_validated_without_lines()
    {
        var error = Assert.Throws<Grpc.Core.RpcException>(() =>
            AppSpecLoader.Validate(new AppSpec { Name = "web", Command = "node", Routing = new RoutingSpec { PublicPort = 8080, Retries = 50 } }, "stored"));
        Assert.Equal("stored: routing.retries: 50 is more than the maximum of 10", error.Status.Detail);
    }

    [Fact]
    public void An_oversized_spec_is_refused_before_parsing()
    {
        var error = Assert.Throws<Grpc.Core.RpcException>(() => AppSpecLoader.Load(new string('#', AppSpecLoader.MaxSpecBytes + 1), "big.yaml"));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal($"big.yaml: the spec is {AppSpecLoader.MaxSpecBytes + 1} bytes long; at most {AppSpecLoader.MaxSpecBytes} are allowed", error.Status.Detail);
    }
}
