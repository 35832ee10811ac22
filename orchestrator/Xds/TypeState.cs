namespace Baton.Orchestrator.Xds;

/// <summary>
/// One stream's view of one resource type: what the client subscribed to, what it has ACKed, what is in
/// flight and what it rejected. Guarded by the owning stream's lock.
/// </summary>
internal sealed class TypeState
{
    public TypeState(string typeUrl)
    {
        TypeUrl = typeUrl;
    }

    public string TypeUrl { get; }

    /// <summary>The client has asked for this type at least once; nothing is pushed before that.</summary>
    public bool Requested { get; set; }

    public bool Wildcard { get; set; }

    /// <summary>SotW: once a client named resources, an empty list means "none", not the legacy wildcard.</summary>
    public bool NamedResourcesSeen { get; set; }

    // Every stream has four of these and most of them hold little (a wildcard subscription names nothing; only a
    // delta stream ever rejects or waits on a missing name), so the collections below are created on first write.
    // Readers that must not allocate use the fields.
    private HashSet<string>? _names;
    private Dictionary<string, string>? _rejected;
    private HashSet<string>? _maybeMissing;

    /// <summary>The names subscribed to (created on first use).</summary>
    public HashSet<string> Names
    {
        get => _names ??= new HashSet<string>(StringComparer.Ordinal);
        set => _names = value;
    }

    /// <summary>Subscribes to no name (a wildcard subscription, or none).</summary>
    public void ClearNames() => _names = null;

    /// <summary>What the client confirmed it holds (the content of ACKed responses).</summary>
    public Dictionary<string, CachedResource> Acked { get; } = new(StringComparer.Ordinal);

    public OutstandingResponse? Outstanding { get; set; }

    /// <summary>Nonce of the newest response sent; any other nonce in a request is stale.</summary>
    public string? LastNonce { get; set; }

    /// <summary>SotW: version of the last response sent, ACKed or not, so a NACKed set is not sent again.</summary>
    public string? LastSentVersion { get; set; }

    /// <summary>SotW: the members of that response (a list, kept small), so an unchanged set is recognized without hashing it again.</summary>
    public IReadOnlyList<CachedResource>? LastSentContent { get; set; }

    /// <summary>Delta: resource versions the client NACKed; not re-sent until the resource changes.</summary>
    public Dictionary<string, string> Rejected => _rejected ??= new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Delta: names just subscribed to (or claimed on reconnect) that may need a "does not exist" answer.</summary>
    public HashSet<string> MaybeMissing => _maybeMissing ??= new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Delta: whether the client NACKed exactly this version of the resource.</summary>
    public bool IsRejected(string name, string version) =>
        _rejected is { } rejected && rejected.TryGetValue(name, out var refused) && refused == version;

    /// <summary>Delta: forgets a NACK once a version of the resource was ACKed.</summary>
    public void ClearRejected(string name) => _rejected?.Remove(name);

    /// <summary>Delta: the client unsubscribed from a name; it needs no "does not exist" answer.</summary>
    public void ForgetMaybeMissing(string name) => _maybeMissing?.Remove(name);

    /// <summary>Delta: takes the names that may need a "does not exist" answer, leaving none.</summary>
    public IReadOnlyCollection<string> TakeMaybeMissing()
    {
        var names = (IReadOnlyCollection<string>?)_maybeMissing ?? [];
        _maybeMissing = null;
        return names;
    }

    public bool Answered { get; set; }

    public string? LastAckedVersion { get; set; }

    public DateTimeOffset? LastAckedAt { get; set; }

    public NackRecord? LastNack { get; set; }

    public long ResponsesSent { get; set; }

    public long Acks { get; set; }

    public long Nacks { get; set; }

    public long StaleRequests { get; set; }

    /// <summary>Whether the client asked for the resource (by name, or as part of a wildcard).</summary>
    public bool Wants(CachedResource resource) =>
        (_names is { } names && names.Contains(resource.Name)) || (Wildcard && resource.ServedToWildcard);

    /// <summary>Whether a resource of this name would reach the client if it existed.</summary>
    public bool Covers(string name) => Requested && (Wildcard || (_names is { } names && names.Contains(name)));

    /// <summary>Drops ACKed state for resources the client no longer subscribes to; it forgets them too.</summary>
    public void ForgetUnwanted()
    {
        foreach (var name in Acked.Where(p => !Wants(p.Value)).Select(p => p.Key).ToList())
        {
            Acked.Remove(name);
        }
        if (_rejected is { } rejected)
        {
            foreach (var name in rejected.Keys.Where(n => !Covers(n)).ToList())
            {
                rejected.Remove(name);
            }
        }
    }

    public XdsTypeStatus ToStatus() => new(
        TypeUrl,
        Requested,
        Wildcard,
        _names?.Count ?? 0,
        Acked.Count,
        LastAckedVersion,
        LastAckedAt,
        Outstanding?.Nonce,
        ResponsesSent,
        Acks,
        Nacks,
        StaleRequests,
        LastNack);
}
