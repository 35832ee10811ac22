using System.Collections.Frozen;

namespace Baton.Orchestrator.Xds;

/// <summary>The resources of one app at one cache generation, by type URL and then by name. Immutable.</summary>
public sealed class AppResources
{
    private static readonly IReadOnlyDictionary<string, CachedResource> None = FrozenDictionary<string, CachedResource>.Empty;

    public AppResources(AppRouting routing, IReadOnlyDictionary<string, IReadOnlyDictionary<string, CachedResource>> byType)
    {
        Routing = routing;
        ByType = byType;
    }

    public AppRouting Routing { get; }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, CachedResource>> ByType { get; }

    public IReadOnlyDictionary<string, CachedResource> Of(string typeUrl) =>
        ByType.TryGetValue(typeUrl, out var resources) ? resources : None;

    /// <summary>True when <paramref name="other"/> holds the very same resource objects (the builder reuses unchanged ones).</summary>
    public bool SameResourcesAs(AppResources? other) =>
        other is not null
        && ByType.Count == other.ByType.Count
        && ByType.All(t => other.ByType.TryGetValue(t.Key, out var theirs)
            && t.Value.Count == theirs.Count
            && t.Value.All(r => theirs.TryGetValue(r.Key, out var resource) && ReferenceEquals(resource, r.Value)));
}
