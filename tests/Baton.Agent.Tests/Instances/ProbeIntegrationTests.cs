using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Tests.Instances;

/// <summary>Probes wired into the supervisor: the agent process, a real app, real HTTP checks.</summary>
public sealed class ProbeIntegrationTests() : AgentTestBase
{
    private static Probe Http(string path, uint intervalMs = 100, uint failureThreshold = 2) =>
        new() { Http = new HttpProbe { Path = path }, IntervalMs = intervalMs, TimeoutMs = 500, FailureThreshold = failureThreshold };

    private async Task<List<InstanceEvent>> CollectUntilAsync(AsyncServerStreamingCall<InstanceEvent> watch, Func<InstanceEvent, bool> last)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<InstanceEvent>();
        while (await watch.ResponseStream.MoveNext(timeout.Token))
        {
            events.Add(watch.ResponseStream.Current);
            if (last(watch.ResponseStream.Current)) break;
        }
        return events;
    }

    [Fact]
    public async Task AnInstanceIsReadyOnlyOnceItsReadinessProbePasses()
    {
        var spec = AgentProcess.NodeSpec("slow-start", "demo", "v1", "--ready-after", "1500");
        spec.Readiness = Http("/ready");
        using var watch = Agent.Client.WatchEvents(new WatchEventsRequest());

        var launched = (await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];
        Assert.Equal(InstanceState.Starting, launched.State);

        var events = await CollectUntilAsync(watch, e => e.Type == EventType.Ready);
        var starting = events.Single(e => e.Type == EventType.Starting);
        var ready = events.Single(e => e.Type == EventType.Ready);
        Assert.True((ready.Time.ToDateTime() - starting.Time.ToDateTime()).TotalMilliseconds >= 1400,
            "ready was reported before the app's /ready answered 200");
        Assert.Equal("HTTP 200", ready.Message);
    }

    [Fact]
    public async Task AFailingReadinessProbeMakesAReadyInstanceUnready()
    {
        var spec = AgentProcess.NodeSpec("fading", "demo", "v1", "--unhealthy-after", "1000");
        spec.Readiness = Http("/live");
        using var watch = Agent.Client.WatchEvents(new WatchEventsRequest());
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });

        var events = await CollectUntilAsync(watch, e => e.Type == EventType.Unready);

        Assert.Contains(events, e => e.Type == EventType.Ready);
        Assert.Equal("HTTP 500", events.Last().Message);
        var status = (await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances[0];
        Assert.Equal(InstanceState.Unready, status.State);
        Assert.Equal(0u, status.Restarts); // readiness never restarts anything
    }

    [Fact]
    public async Task AFailingLivenessProbeRestartsTheInstance()
    {
        var spec = AgentProcess.NodeSpec("zombie-ish", "demo", "v1", "--unhealthy-after", "800");
        spec.Liveness = Http("/live");
        spec.Restart = new RestartPolicy { InitialBackoffMs = 20 };
        using var watch = Agent.Client.WatchEvents(new WatchEventsRequest());
        var first = (await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];

        var events = await CollectUntilAsync(watch, e => e.Type == EventType.Starting && e.Pid != first.Pid);

        var failed = events.Single(e => e.Type == EventType.LivenessFailed);
        Assert.Contains("HTTP 500", failed.Message);
        Assert.Contains(events, e => e.Type == EventType.Exited && e.Pid == first.Pid);
        Assert.False(AgentProcess.IsAlive(first.Pid));
        var status = (await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances[0];
        Assert.Equal(1u, status.Restarts);
    }

    [Fact]
    public async Task AnInvalidProbeIsRefusedAtLaunch()
    {
        var spec = AgentProcess.NodeSpec("bad-probe");
        spec.Readiness = new Probe { Http = new HttpProbe { Path = "ready" } };

        var e = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("instance bad-probe: readiness.http.path must start with '/'", e.Status.Detail);
        Assert.Empty((await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances);
    }
}
