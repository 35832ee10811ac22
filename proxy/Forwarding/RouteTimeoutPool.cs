using System.Collections.Concurrent;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// Reuses the cancellation sources that enforce route timeouts. Every route has one (Envoy's default is
/// 15 s), so without reuse each request would allocate a source and its timer; a source that did not
/// fire is reset and handed to the next request.
/// </summary>
internal sealed class RouteTimeoutPool
{
    // Enough for the requests in flight at the target rate; beyond it, sources are simply not kept.
    private const int MaxPooled = 256;

    private readonly ConcurrentQueue<CancellationTokenSource> _pool = new();

    /// <summary>A source that cancels after <paramref name="timeout"/>; give it back with <see cref="Return"/>.</summary>
    public CancellationTokenSource Rent(TimeSpan timeout)
    {
        if (!_pool.TryDequeue(out var source))
        {
            source = new CancellationTokenSource();
        }
        source.CancelAfter(timeout);
        return source;
    }

    public void Return(CancellationTokenSource source)
    {
        // TryReset stops the pending timer and fails for a source that has fired, which is not reusable.
        if (_pool.Count < MaxPooled && source.TryReset())
        {
            _pool.Enqueue(source);
        }
        else
        {
            source.Dispose();
        }
    }
}
