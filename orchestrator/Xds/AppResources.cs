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
}
