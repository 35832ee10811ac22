using Google.Protobuf.WellKnownTypes;
using DeltaResource = Envoy.Service.Discovery.V3.Resource;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// One resource, serialized once when its content changed; every stream that serves it reuses the same
/// <see cref="Packed"/> bytes. Instances are immutable and shared across threads.
/// </summary>
public sealed class CachedResource
{
    public CachedResource(
        string typeUrl,
        string name,
        string app,
        Any packed,
        string version,
        long generation,
        IReadOnlySet<string> references,
        bool servedToWildcard)
    {
        TypeUrl = typeUrl;
        Name = name;
        App = app;
        Packed = packed;
        Version = version;
        Generation = generation;
        References = references;
        ServedToWildcard = servedToWildcard;
        Delta = new DeltaResource { Name = name, Version = version, Resource_ = packed };
    }

    public string TypeUrl { get; }

    public string Name { get; }

    /// <summary>The app this resource belongs to; per-node views select by app.</summary>
    public string App { get; }

    public Any Packed { get; }

    /// <summary>Content hash: equal content, equal version, so unchanged resources are never re-sent.</summary>
    public string Version { get; }

    /// <summary>Cache generation at which this content first appeared; orders versions of one resource.</summary>
    public long Generation { get; }

    /// <summary>Names this resource needs at the data plane: a route's clusters, a listener's route.</summary>
    public IReadOnlySet<string> References { get; }

    /// <summary>False for api_listeners: Envoy cannot take them over LDS, so only named subscribers get them.</summary>
    public bool ServedToWildcard { get; }

    /// <summary>
    /// For a ClusterLoadAssignment: whether any endpoint takes new requests (one HEALTHY). gRPC clients drop
    /// DRAINING endpoints, so to them an assignment without any is an empty cluster that fails every call.
    /// True for every other type.
    /// </summary>
    public bool TakesNewRequests { get; init; } = true;

    /// <summary>The incremental-protocol wrapper, built once too.</summary>
    public DeltaResource Delta { get; }
}
