using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Tests.Instances;

/// <summary>WatchEvents' contract for resuming watchers: headers on attach, replay from any sequence, run ids.</summary>
public sealed class EventStreamTests() : AgentTestBase(portCount: 5)
{
    private static async Task<InstanceEvent> NextAsync(AsyncServerStreamingCall<InstanceEvent> watch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token), "the event stream ended");
        return watch.ResponseStream.Current;
    }

    private static async Task<List<InstanceEvent>> CollectUntilAsync(AsyncServerStreamingCall<InstanceEvent> watch, Func<InstanceEvent, bool> last)
    {
        var events = new List<InstanceEvent>();
        do events.Add(await NextAsync(watch));
        while (!last(events[^1]));
        return events;
    }

    [Fact]
    public async Task HeadersArriveBeforeAnyEventAndEverythingPublishedAfterThemIsDelivered()
    {
        var health = await Agent.Client.GetHealthAsync(new GetHealthRequest());
        Assert.Equal(0ul, health.LastEventSequence);

        using var watch = Agent.Client.WatchEvents(new WatchEventsRequest());
        // Nothing has happened on this agent, so the headers are the only thing that can arrive.
        await watch.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(60));
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec("first") } });

        var starting = await NextAsync(watch);
        Assert.Equal((1ul, EventType.Starting, "first", health.RunId), (starting.Sequence, starting.Type, starting.InstanceId, starting.RunId));
    }

    [Fact]
    public async Task AfterSequenceZeroReplaysFromTheRunsFirstEventWhileUnsetGivesOnlyNewOnes()
    {
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec("replayed") } });
        await WaitForAsync("replayed", s => s.State == InstanceState.Ready, "ready");
        var health = await Agent.Client.GetHealthAsync(new GetHealthRequest());
        Assert.True(health.LastEventSequence >= 2, $"starting and ready published; last sequence {health.LastEventSequence}");

        using var replay = Agent.Client.WatchEvents(new WatchEventsRequest { AfterSequence = 0 });
        var replayed = await CollectUntilAsync(replay, e => e.Sequence == health.LastEventSequence);
        Assert.Equal(1ul, replayed[0].Sequence);
        Assert.Equal(EventType.Starting, replayed[0].Type);
        Assert.Contains(replayed, e => e.Type == EventType.Ready && e.InstanceId == "replayed");
        Assert.All(replayed, e => Assert.Equal(health.RunId, e.RunId));

        using var onlyNew = Agent.Client.WatchEvents(new WatchEventsRequest());
        await onlyNew.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(60));
        await Agent.Client.RestartAsync(new RestartRequest { InstanceIds = { "replayed" } });
        var next = await NextAsync(onlyNew);
        Assert.Equal(health.LastEventSequence + 1, next.Sequence);
    }

    [Fact]
    public async Task ARestartedAgentHasANewRunIdAndNumbersItsEventsFromOneAgain()
    {
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec("survivor") } });
        await WaitForAsync("survivor", s => s.State == InstanceState.Ready, "ready");
        var before = await Agent.Client.GetHealthAsync(new GetHealthRequest());

        Agent.Kill();
        await Agent.RestartAsync();
        var after = await Agent.Client.GetHealthAsync(new GetHealthRequest());

        Assert.NotEmpty(before.RunId);
        Assert.NotEmpty(after.RunId);
        Assert.NotEqual(before.RunId, after.RunId);
        // The new run's first event is the adoption of the instance the old run left running.
        using var replay = Agent.Client.WatchEvents(new WatchEventsRequest { AfterSequence = 0 });
        var adopted = await NextAsync(replay);
        Assert.Equal((1ul, EventType.Adopted, "survivor", after.RunId), (adopted.Sequence, adopted.Type, adopted.InstanceId, adopted.RunId));
    }
}
