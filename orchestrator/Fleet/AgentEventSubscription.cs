using System.Threading.Channels;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// A subscriber's view of the fleet's events, registered when created: subscribe, then list the
/// instances, then apply the events read from here on top, and nothing falls in between.
/// Dispose to unsubscribe.
/// </summary>
public sealed class AgentEventSubscription : IDisposable
{
    private readonly ChannelReader<AgentEvent> _reader;
    private readonly Action _unsubscribe;
    private int _disposed;

    internal AgentEventSubscription(ChannelReader<AgentEvent> reader, Action unsubscribe)
    {
        _reader = reader;
        _unsubscribe = unsubscribe;
    }

    /// <summary>
    /// The events in the order they were published (per agent, the agent's order). Throws
    /// <see cref="AgentEventsOverflowException"/> when this subscriber fell too far behind; ends when disposed.
    /// </summary>
    public IAsyncEnumerable<AgentEvent> ReadAllAsync(CancellationToken cancellationToken) => _reader.ReadAllAsync(cancellationToken);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _unsubscribe();
    }
}
