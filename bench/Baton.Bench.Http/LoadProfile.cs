namespace Baton.Bench.Http;

/// <summary>
/// One hey run with a fixed number of requests: <see cref="Workers"/> closed-loop workers, each
/// rate-limited to <see cref="RatePerWorker"/> requests/s (hey's -q is per worker). A fixed count
/// rather than a duration because hey's CSV lists only answered requests: the count asked for minus
/// the rows is the number of connection errors.
/// </summary>
internal sealed record LoadProfile(int Workers, int RatePerWorker, int Requests, bool KeepAlive)
{
    public double RequestsPerSecond => Workers * RatePerWorker;

    public TimeSpan Duration => TimeSpan.FromSeconds(Requests / RequestsPerSecond);

    public string Describe() =>
        $"hey -n {Requests} -c {Workers} -q {RatePerWorker}{(KeepAlive ? "" : " -disable-keepalive")} ({RequestsPerSecond:0} requests/s for {Duration.TotalSeconds:0} s, {(KeepAlive ? "keep-alive" : "a new connection per request")}, no retries)";
}
