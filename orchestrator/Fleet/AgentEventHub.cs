using System.Threading.Channels;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// Fans the events of every agent connection out to each subscriber. A subscriber that falls
/// <see cref="FleetOptions.EventSubscriberCapacity"/> events behind has its stream failed with
/// <see cref="AgentEventsOverflowException"/> rather than slowing the connections or growing without bound.
/// </summary>
internal sealed class AgentEventHub(int subscriberCapacity)
{
    private readonly Lock _lock = new();
    private readonly List<Channel<AgentEvent>> _subscribers = [];

    public void Publish(AgentEvent agentEvent)
    {
        lock (_lock)
        {
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                if (_subscribers[i].Writer.TryWrite(agentEvent)) continue;
                _subscribers[i].Writer.TryComplete(new AgentEventsOverflowException(subscriberCapacity));
                _subscribers.RemoveAt(i);
            }
        }
    }

    /// <summary>Registers a subscriber at once, so nothing published after this call is missed.</summary>
    public AgentEventSubscription Subscribe()
    {
        var channel = Channel.CreateBounded<AgentEvent>(new BoundedChannelOptions(subscriberCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        lock (_lock) _subscribers.Add(channel);
        return new AgentEventSubscription(channel.Reader, () => Unsubscribe(channel));
    }

    private void Unsubscribe(Channel<AgentEvent> channel)
    {
        lock (_lock) _subscribers.Remove(channel);
        channel.Writer.TryComplete();
    }
}

/// <summary>The subscriber fell too far behind; subscribe again and re-read every agent's state.</summary>
public sealed class AgentEventsOverflowException(int capacity)
    : Exception($"the event subscriber fell more than {capacity} events behind; subscribe again and re-list the agents' instances");
