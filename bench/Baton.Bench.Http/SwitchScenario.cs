namespace Baton.Bench.Http;

/// <summary>A v1 → v2 switch under load, the same for PM2 and Baton: which clients, and whether v2 works.</summary>
internal sealed record SwitchScenario(string Key, string Title, LoadProfile Load, bool BrokenV2)
{
    /// <summary>Load runs this long before the switch starts, so the switch lands in the middle of it.</summary>
    public static readonly TimeSpan LeadIn = TimeSpan.FromSeconds(2);

    public static readonly IReadOnlyList<SwitchScenario> All =
    [
        // 400/s, not more: every request is a new connection, and each leaves a TIME_WAIT socket on loopback.
        new("a", "new connection per request", new LoadProfile(Workers: 10, RatePerWorker: 40, Requests: 6_000, KeepAlive: false), BrokenV2: false),
        // Not hey: Go's net/http would resend the GETs a reload cuts off (see NoRetryLoad).
        new("b", "keep-alive clients, no retries", new LoadProfile(Workers: 10, RatePerWorker: 50, Requests: 7_500, KeepAlive: true, LoadClient.NoRetry), BrokenV2: false),
        // The same client as (b): with hey, Go's retries could hide a failure of Baton's as well as PM2's.
        new("c", "v2 crashes on start (keep-alive clients)", new LoadProfile(Workers: 10, RatePerWorker: 50, Requests: 7_500, KeepAlive: true, LoadClient.NoRetry), BrokenV2: true),
    ];
}
