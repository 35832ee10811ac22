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

    public HashSet<string> Names { get; set; } = new(StringComparer.Ordinal);

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
    public Dictionary<string, string> Rejected { get; } = new(StringComparer.Ordinal);

    /// <summary>Delta: names just subscribed to (or claimed on reconnect) that may need a "does not exist" answer.</summary>
    public HashSet<string> MaybeMissing { get; } = new(StringComparer.Ordinal);

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
        Names.Contains(resource.Name) || (Wildcard && resource.ServedToWildcard);

    /// <summary>Whether a resource of this name would reach the client if it existed.</summary>
    public bool Covers(string name) => Requested && (Wildcard || Names.Contains(name));

    /// <summary>Drops ACKed state for resources the client no longer subscribes to; it forgets them too.</summary>
    public void ForgetUnwanted()
    {
        foreach (var name in Acked.Where(p => !Wants(p.Value)).Select(p => p.Key).ToList())
        {
            Acked.Remove(name);
        }
        foreach (var name in Rejected.Keys.Where(n => !Covers(n)).ToList())
        {
            Rejected.Remove(name);
        }
    }

    public XdsTypeStatus ToStatus() => new(
        TypeUrl,
        Requested,
        Wildcard,
        Names.Count,
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
