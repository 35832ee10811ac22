using System.Threading.Channels;
using Baton.Agent.Hosting;
using Baton.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Agent.Events;

/// <summary>
/// Fans instance events out to every watcher. Keeps the most recent events so a watcher that
/// reconnects with its last sequence number misses nothing still buffered; a watcher too slow
/// to keep up is cut off (its stream ends) rather than slowing the agent or growing memory.
/// Sequence numbers start at 1 in each agent run and every event carries the run's id, so a
/// watcher can tell a restarted agent from one that merely dropped its connection.
/// </summary>
internal sealed class EventHub(AgentRun run)
{
    public const int ReplayCapacity = 4096;
    private const int SubscriberCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly Queue<InstanceEvent> _recent = new();
    private readonly List<Channel<InstanceEvent>> _subscribers = [];
    private ulong _sequence;

    public void Publish(InstanceEvent e)
    {
        lock (_lock)
        {
            e.Sequence = ++_sequence;
            e.RunId = run.RunId;
            e.Time ??= Timestamp.FromDateTime(DateTime.UtcNow);
            _recent.Enqueue(e);
            if (_recent.Count > ReplayCapacity) _recent.Dequeue();
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                if (!_subscribers[i].Writer.TryWrite(e))
                {
                    _subscribers[i].Writer.TryComplete(new SlowWatcherException(e.Sequence - 1));
                    _subscribers.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>
    /// Subscribes at once: every event published after this call reaches the subscription, preceded,
    /// when <paramref name="afterSequence"/> is set, by the buffered events after it (all of them for 0).
    /// Dispose to unsubscribe.
    /// </summary>
    public EventSubscription Subscribe(ulong? afterSequence)
    {
        // Replay plus live events fit: the replay buffer is no larger than the subscriber's.
        var channel = Channel.CreateBounded<InstanceEvent>(new BoundedChannelOptions(SubscriberCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        lock (_lock)
        {
            if (afterSequence is { } after)
                foreach (var e in _recent.Where(e => e.Sequence > after)) channel.Writer.TryWrite(e);
            _subscribers.Add(channel);
        }
        return new EventSubscription(channel.Reader, () => Unsubscribe(channel));
    }

    private void Unsubscribe(Channel<InstanceEvent> channel)
    {
        lock (_lock) _subscribers.Remove(channel);
        channel.Writer.TryComplete();
    }

    /// <summary>The sequence of the last event published in this run (0: none yet).</summary>
    public ulong LastSequence
    {
        get { lock (_lock) return _sequence; }
    }
}

/// <summary>One watcher's events, registered when created; dispose to unsubscribe.</summary>
internal sealed class EventSubscription(ChannelReader<InstanceEvent> reader, Action unsubscribe) : IDisposable
{
    private int _disposed;

    /// <summary>The events in publishing order, until cancelled; throws <see cref="SlowWatcherException"/> when this watcher fell too far behind.</summary>
    public IAsyncEnumerable<InstanceEvent> ReadAllAsync(CancellationToken cancellationToken) => reader.ReadAllAsync(cancellationToken);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) unsubscribe();
    }
}

/// <summary>The watcher fell more than the buffer behind; it should reconnect from <see cref="LastDelivered"/>.</summary>
internal sealed class SlowWatcherException(ulong lastDelivered)
    : Exception($"event watcher too slow; reconnect with after_sequence={lastDelivered}")
{
    public ulong LastDelivered { get; } = lastDelivered;
}
