using Baton.Orchestrator.AppSpecs;
using Baton.Protos.Agent.V1;
using static Baton.Orchestrator.Tests.AppSpecs.SpecYaml;

namespace Baton.Orchestrator.Tests.AppSpecs;

public sealed class InstanceSpecFactoryTests
{
    [Fact]
    public void Maps_every_field_onto_the_agent_contract()
    {
        var spec = AppSpecLoader.Load(With(
            "args: [server.js]",
            "env: {NODE_ENV: production}",
            "working_dir: app",
            "run_as_user: web",
            "readiness: {type: http, path: /healthz, port: 9000, interval: 500ms, timeout: 200ms, initial_delay: 2s, success_threshold: 2, failure_threshold: 5}",
            "liveness: {type: grpc, service: health}",
            "stop: {signal: SIGUSR2, timeout: 3s}",
            "restart: {policy: never, backoff: {initial: 1s, max: 4s}, crash_loop: {restarts: 3, window: 30s}}"), "web.yaml").Spec;

        var instance = InstanceSpecFactory.Create(spec, "v2", "web-v2-a1-0");

        var expected = new InstanceSpec
        {
            InstanceId = "web-v2-a1-0",
            App = "web",
            Version = "v2",
            Command = "node",
            Args = { "server.js" },
            Env = { ["NODE_ENV"] = "production" },
            WorkingDir = "app",
            RunAsUser = "web",
            Port = 0,
            Restart = new RestartPolicy { Mode = RestartMode.Never, InitialBackoffMs = 1000, MaxBackoffMs = 4000, CrashLoopRestarts = 3, CrashLoopWindowMs = 30_000 },
            Stop = new StopPolicy { Signal = StopSignal.Sigusr2, TimeoutMs = 3000 },
            Readiness = new Probe
            {
                Http = new HttpProbe { Port = 9000, Path = "/healthz" },
                InitialDelayMs = 2000, IntervalMs = 500, TimeoutMs = 200, SuccessThreshold = 2, FailureThreshold = 5,
            },
            Liveness = new Probe
            {
                Grpc = new GrpcProbe { Service = "health" },
                IntervalMs = 1000, TimeoutMs = 1000, SuccessThreshold = 1, FailureThreshold = 3,
            },
        };
        Assert.Equal(expected, instance);
    }

    [Fact]
    public void Defaults_are_passed_explicitly_so_the_agent_decides_nothing()
    {
        var instance = InstanceSpecFactory.Create(new Protos.Orchestrator.V1.AppSpec { Name = "web", Command = "node" }, "v1", "web-v1-0");

        Assert.Equal(new RestartPolicy { Mode = RestartMode.OnFailure, InitialBackoffMs = 100, MaxBackoffMs = 15_000, CrashLoopRestarts = 10, CrashLoopWindowMs = 60_000 }, instance.Restart);
        Assert.Equal(new StopPolicy { Signal = StopSignal.Sigterm, TimeoutMs = 10_000 }, instance.Stop);
        Assert.Equal(Probe.KindOneofCase.Tcp, instance.Readiness.KindCase);
        Assert.Equal(0u, instance.Readiness.Tcp.Port);
        Assert.Null(instance.Liveness);
    }

    [Theory]
    [InlineData("SIGTERM", StopSignal.Sigterm)]
    [InlineData("SIGINT", StopSignal.Sigint)]
    [InlineData("SIGQUIT", StopSignal.Sigquit)]
    [InlineData("SIGHUP", StopSignal.Sighup)]
    [InlineData("SIGUSR1", StopSignal.Sigusr1)]
    [InlineData("SIGUSR2", StopSignal.Sigusr2)]
    public void Every_stop_signal_has_its_enum(string name, StopSignal expected) => Assert.Equal(expected, InstanceSpecFactory.StopSignalOf(name));

    [Theory]
    [InlineData("always", RestartMode.Always)]
    [InlineData("on-failure", RestartMode.OnFailure)]
    [InlineData("never", RestartMode.Never)]
    public void Every_restart_policy_has_its_enum(string policy, RestartMode expected) => Assert.Equal(expected, InstanceSpecFactory.RestartModeOf(policy));

    [Fact]
    public void Probe_types_become_the_oneof()
    {
        Assert.Equal(new TcpProbe { Port = 7 }, InstanceSpecFactory.ProbeOf(new() { Type = "tcp", Port = 7 }).Tcp);
        Assert.Equal(new HttpProbe { Path = "/x" }, InstanceSpecFactory.ProbeOf(new() { Type = "http", Path = "/x" }).Http);
        Assert.Equal(new GrpcProbe { Service = "s" }, InstanceSpecFactory.ProbeOf(new() { Type = "grpc", Service = "s" }).Grpc);
        Assert.Throws<ArgumentException>(() => InstanceSpecFactory.ProbeOf(new() { Type = "udp" }));
    }

    [Theory]
    [InlineData("V2", "web-0")]
    [InlineData("v2", "../web")]
    public void Invalid_names_are_refused(string version, string instanceId) =>
        Assert.Throws<ArgumentException>(() => InstanceSpecFactory.Create(new Protos.Orchestrator.V1.AppSpec { Name = "web", Command = "node" }, version, instanceId));
}
