using Baton.Orchestrator.Fleet;
using Baton.Protos.Agent.V1;

namespace Baton.Orchestrator.Tests.Fleet.Support;

/// <summary>Keeps every event of a subscription, for tests to wait on and inspect.</summary>
internal sealed class EventRecorder : IAsyncDisposable
{
    private readonly AgentEventSubscription _subscription;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<AgentEvent> _events = [];
    private readonly Task _reading;

    public EventRecorder(AgentEventSubscription subscription)
    {
        _subscription = subscription;
        _reading = ReadAsync();
    }

    public IReadOnlyList<AgentEvent> All
    {
        get { lock (_events) return [.. _events]; }
    }

    public IReadOnlyList<InstanceEvent> InstanceEvents(string agent) =>
        All.Where(e => e.Agent == agent && e.Kind == AgentEventKind.Instance).Select(e => e.Instance!).ToList();

    public Task<AgentEvent> WaitForAsync(Func<AgentEvent, bool> match, string what) =>
        Eventually.MatchAsync(() => Task.FromResult(All.FirstOrDefault(match)), e => e is not null, $"event: {what}; seen: {Describe()}")!;

    public Task WaitForInstanceEventAsync(string agent, string instanceId, EventType type) =>
        WaitForAsync(e => e.Agent == agent && e.Instance?.InstanceId == instanceId && e.Instance.Type == type, $"{agent}/{instanceId} {type}");

    public string Describe() => string.Join(", ", All.Select(e => e.Instance is { } i ? $"{e.Agent}#{i.Sequence}:{i.InstanceId}:{i.Type}" : $"{e.Agent}:{e.Kind}"));

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var agentEvent in _subscription.ReadAllAsync(_stopping.Token))
                lock (_events) _events.Add(agentEvent);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The test is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _reading;
        _subscription.Dispose();
        _stopping.Dispose();
    }
}
