namespace Baton.Orchestrator.Xds;

/// <summary>
/// The one response of a type that awaits its ACK or NACK. A stream never has two of one type in
/// flight: the next one is built from the newest snapshot once this one is answered (latest wins).
/// </summary>
internal sealed record OutstandingResponse(
    string Nonce,
    string Version,
    IReadOnlyDictionary<string, CachedResource> Upserts,
    IReadOnlyCollection<string> Removals,
    long SentTimestamp);
