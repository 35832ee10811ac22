using System.Threading.Channels;
using Baton.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Agent.Events;

/// <summary>
/// Fans instance events out to every watcher. Keeps the most recent events so a watcher that
/// reconnects with its last sequence number misses nothing still buffered; a watcher too slow
/// to keep up is cut off (its stream ends) rather than slowing the agent or growing memory.
/// </summary>
internal sealed class EventHub
{
    public const int ReplayCapacity = 4096;
    private const int SubscriberCapacity = 4096;

    private readonly object _lock = new();
    private readonly Queue<InstanceEvent> _recent = new();
    private readonly List<Channel<InstanceEvent>> _subscribers = [];
    private ulong _sequence;

    public void Publish(InstanceEvent e)
    {
        lock (_lock)
        {
            e.Sequence = ++_sequence;
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

    /// <summary>Events after <paramref name="afterSequence"/> still buffered, then live ones, until cancelled.</summary>
    public async IAsyncEnumerable<InstanceEvent> SubscribeAsync(ulong afterSequence, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<InstanceEvent>(new BoundedChannelOptions(SubscriberCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        lock (_lock)
        {
            if (afterSequence > 0)
                foreach (var e in _recent.Where(e => e.Sequence > afterSequence)) channel.Writer.TryWrite(e);
            _subscribers.Add(channel);
        }
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(ct)) yield return e;
        }
        finally
        {
            lock (_lock) _subscribers.Remove(channel);
        }
    }

    public ulong LastSequence
    {
        get { lock (_lock) return _sequence; }
    }
}

/// <summary>The watcher fell more than the buffer behind; it should reconnect from <see cref="LastDelivered"/>.</summary>
internal sealed class SlowWatcherException(ulong lastDelivered)
    : Exception($"event watcher too slow; reconnect with after_sequence={lastDelivered}")
{
    public ulong LastDelivered { get; } = lastDelivered;
}
