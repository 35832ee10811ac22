using Baton.Proxy.Configuration;

namespace Baton.Proxy.Tests.Support;

/// <summary>Stands in for the data path: records every config it is asked to apply and accepts it unless told to refuse.</summary>
internal sealed class RecordingApplier : IProxyConfigApplier
{
    private readonly Lock _lock = new();
    private readonly List<ProxyConfig> _applied = [];
    private int _calls;

    /// <summary>Returns the refusal for a config, or null to accept it.</summary>
    public Func<ProxyConfig, string?> Refuse { get; set; } = _ => null;

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<ProxyConfig> Applied
    {
        get { lock (_lock) return _applied.ToList(); }
    }

    public ProxyConfig? Latest
    {
        get { lock (_lock) return _applied.Count == 0 ? null : _applied[^1]; }
    }

    public Task<string?> ApplyAsync(ProxyConfig config, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var refusal = Refuse(config);
        if (refusal is null)
        {
            lock (_lock) _applied.Add(config);
        }
        return Task.FromResult(refusal);
    }
}
