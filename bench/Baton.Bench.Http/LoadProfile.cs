namespace Baton.Bench.Http;

/// <summary>Which program sends a scenario's load.</summary>
internal enum LoadClient
{
    /// <summary>Debian's hey (Go's net/http): retries a GET by itself when a reused keep-alive connection fails before any response byte.</summary>
    Hey,

    /// <summary>The bench's own raw-socket client (<see cref="NoRetryLoad"/>): one keep-alive connection per worker, nothing retried.</summary>
    NoRetry,
}

/// <summary>
/// One load run with a fixed number of requests: <see cref="Workers"/> closed-loop workers, each
/// rate-limited to <see cref="RatePerWorker"/> requests/s (hey's -q is per worker; the bench's own
/// client is paced the same way). A fixed count rather than a duration because hey's CSV lists only
/// answered requests: the count asked for minus the rows is the number of connection errors.
/// </summary>
internal sealed record LoadProfile(int Workers, int RatePerWorker, int Requests, bool KeepAlive, LoadClient Client = LoadClient.Hey)
{
    public double RequestsPerSecond => Workers * RatePerWorker;

    public TimeSpan Duration => TimeSpan.FromSeconds(Requests / RequestsPerSecond);

    public string Describe() => Client switch
    {
        LoadClient.NoRetry =>
            $"the bench's own client (`NoRetryLoad`: {Workers} workers × {Requests / Workers} requests at {RatePerWorker}/s each, one raw-socket HTTP/1.1 keep-alive connection per worker, a failed request is never sent again; {RequestsPerSecond:0} requests/s for {Duration.TotalSeconds:0} s)",
        _ =>
            $"hey -n {Requests} -c {Workers} -q {RatePerWorker}{(KeepAlive ? "" : " -disable-keepalive")} ({RequestsPerSecond:0} requests/s for {Duration.TotalSeconds:0} s, {(KeepAlive ? "keep-alive; Go's net/http retries a GET that fails on a reused connection before any response byte" : "a new connection per request, so nothing for Go's net/http to retry")})",
    };
}
