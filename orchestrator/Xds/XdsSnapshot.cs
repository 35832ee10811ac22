using System.Collections.Immutable;

namespace Baton.Orchestrator.Xds;

/// <summary>What should be served, for every app, at one generation. Immutable; streams read it without locks.</summary>
public sealed class XdsSnapshot
{
    public XdsSnapshot(long generation, ImmutableDictionary<string, AppResources> apps)
    {
        Generation = generation;
        Apps = apps;
    }

    public static XdsSnapshot Empty { get; } = new(0, ImmutableDictionary.Create<string, AppResources>(StringComparer.Ordinal));

    public long Generation { get; }

    public ImmutableDictionary<string, AppResources> Apps { get; }
}
