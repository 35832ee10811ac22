using Baton.Orchestrator.Fleet;
using Baton.Orchestrator.Tests.Fleet.Support;
using Baton.Protos.Agent.V1;
using AgentHealth = Baton.Protos.Orchestrator.V1.AgentHealth;

namespace Baton.Orchestrator.Tests.Fleet;

/// <summary>Health checking and the event stream against real agents that die, come back, or lose their network.</summary>
public sealed class AgentHealthAndEventTests : IAsyncLifetime
{
    private RealAgent _first = null!;
    private RealAgent _second = null!;
    private FleetUnderTest _fleet = null!;

    public async Task InitializeAsync()
    {
        _first = await RealAgent.StartAsync();
        _second = await RealAgent.StartAsync();
        await _first.UploadTestReleaseAsync("demo", "v1");
        await _second.UploadTestReleaseAsync("demo", "v1");
        _fleet = await FleetUnderTest.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task KilledAgentIsMarkedUnreachableAndComesBackWithItsEventStream()
    {
        await _fleet.AddAsync("a1", _first.Address);
        await _fleet.AddAsync("a2", _second.Address);
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Reachable);
        await _fleet.WaitForHealthAsync("a2", AgentHealth.Reachable);
        var seenBeforeKill = _fleet.Registry.Get("a1").Health.LastSeen;
        Assert.NotNull(seenBeforeKill);

        await _fleet.AttachEventStreamAsync(_first, "a1");
        await _fleet.Operations.LaunchAsync("a1", [RealAgent.NodeSpec("before-1", "demo", "v1")]);
        await _fleet.Events.WaitForInstanceEventAsync("a1", "before-1", EventType.Ready);

        _first.Kill();
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Unreachable);
        var down = _fleet.Registry.List().Single(a => a.Name == "a1");
        Assert.NotEmpty(down.Error);
        Assert.Equal(AgentHealth.Reachable, _fleet.Registry.Get("a2").Health.Health);
        await _fleet.Events.WaitForAsync(e => e.Agent == "a1" && e.Kind == AgentEventKind.Unreachable, "a1 unreachable");

        await _first.RestartAsync();
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Reachable);
        Assert.True(_fleet.Registry.Get("a1").Health.LastSeen > seenBeforeKill);
        Assert.Empty(_fleet.Registry.List().Single(a => a.Name == "a1").Error);
        // The agent's new run (new run id) numbers its events from 1 again: the stream says events were
        // missed as it reconnects, instead of passing the new run's numbers off as the continuation of the old.
        await _fleet.AttachEventStreamAsync(_first, "a1");
        var missed = await _fleet.Events.WaitForAsync(e => e.Agent == "a1" && e.Kind == AgentEventKind.EventsMissed, "a1 events missed after its restart");
        Assert.Contains("restarted", missed.Detail);
        Assert.Single(_fleet.Events.All, e => e.Kind == AgentEventKind.EventsMissed);

        await _fleet.Operations.LaunchAsync("a1", [RealAgent.NodeSpec("after-1", "demo", "v1")]);
        await _fleet.Events.WaitForInstanceEventAsync("a1", "after-1", EventType.Ready);
        Assert.DoesNotContain(_fleet.Events.All, e => e.Agent == "a2" && e.Kind is AgentEventKind.EventsMissed or AgentEventKind.Unreachable);
    }

    [Fact]
    public async Task EventsEmittedWhileTheNetworkIsCutAreReplayedWithoutGaps()
    {
        await using var cutter = new TcpCutter(_first.ListenPort);
        await _fleet.AddAsync("a1", cutter.Address);
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Reachable);
        await _fleet.AttachEventStreamAsync(_first, "a1");
        await _fleet.Operations.LaunchAsync("a1", [RealAgent.NodeSpec("kept-1", "demo", "v1")]);
        await _fleet.Events.WaitForInstanceEventAsync("a1", "kept-1", EventType.Ready);

        cutter.Cut();
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Unreachable);
        // The agent itself is up: work done on it now produces events the fleet cannot see yet.
        await _first.DirectClient.LaunchAsync(new LaunchRequest { Instances = { RealAgent.NodeSpec("during-1", "demo", "v1") } });
        await _first.DirectClient.StopAsync(new StopRequest { InstanceIds = { "kept-1" } });
        await Eventually.MatchAsync(
            async () => (await _first.DirectClient.ListInstancesAsync(new ListInstancesRequest())).Instances,
            list => list.Any(i => i.Spec.InstanceId == "during-1" && i.State == InstanceState.Ready),
            "during-1 ready on the agent");

        cutter.Restore();
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Reachable);
        await _fleet.Events.WaitForInstanceEventAsync("a1", "during-1", EventType.Ready);
        await _fleet.Events.WaitForInstanceEventAsync("a1", "kept-1", EventType.Stopped);

        var sequences = _fleet.Events.InstanceEvents("a1").Select(e => e.Sequence).ToList();
        Assert.Equal(Enumerable.Range((int)sequences[0], sequences.Count).Select(s => (ulong)s), sequences);
        Assert.DoesNotContain(_fleet.Events.All, e => e.Kind == AgentEventKind.EventsMissed);
        Assert.Equal(sequences[^1], _fleet.Registry.Get("a1").LastEventSequence);
    }

    [Fact]
    public async Task AStreamCutBeforeTheAgentsFirstEventResumesFromThatFirstEvent()
    {
        await using var cutter = new TcpCutter(_first.ListenPort);
        await _fleet.AddAsync("a1", cutter.Address);
        await _fleet.AttachEventStreamAsync(_first, "a1");
        Assert.Equal(0ul, (await _first.DirectClient.GetHealthAsync(new GetHealthRequest())).LastEventSequence);

        cutter.Cut();
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Unreachable);
        // The agent's very first events happen while the fleet cannot see them.
        await _first.DirectClient.LaunchAsync(new LaunchRequest { Instances = { RealAgent.NodeSpec("first-1", "demo", "v1") } });
        await Eventually.MatchAsync(
            async () => (await _first.DirectClient.ListInstancesAsync(new ListInstancesRequest())).Instances,
            list => list.Any(i => i.Spec.InstanceId == "first-1" && i.State == InstanceState.Ready),
            "first-1 ready on the agent");

        cutter.Restore();
        await _fleet.Events.WaitForInstanceEventAsync("a1", "first-1", EventType.Ready);

        var delivered = _fleet.Events.InstanceEvents("a1");
        Assert.Equal((1ul, EventType.Starting), (delivered[0].Sequence, delivered[0].Type));
        Assert.Equal(Enumerable.Range(1, delivered.Count).Select(s => (ulong)s), delivered.Select(e => e.Sequence));
        Assert.DoesNotContain(_fleet.Events.All, e => e.Kind == AgentEventKind.EventsMissed);
    }
}
