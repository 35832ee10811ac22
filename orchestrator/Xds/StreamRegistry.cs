using System.Collections.Concurrent;

namespace Baton.Orchestrator.Xds;

/// <summary>The open ADS streams. Waking them only signals their workers; it never writes or blocks.</summary>
internal sealed class StreamRegistry
{
    private readonly ConcurrentDictionary<long, AdsStream> _streams = new();
    private long _lastId;

    public long NextId() => Interlocked.Increment(ref _lastId);

    public void Add(AdsStream stream) => _streams[stream.Id] = stream;

    public void Remove(AdsStream stream) => _streams.TryRemove(stream.Id, out _);

    public IEnumerable<AdsStream> All => _streams.Values;

    public void WakeAll()
    {
        foreach (var stream in _streams.Values)
        {
            stream.Wake();
        }
    }
}
