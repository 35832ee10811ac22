namespace Baton.Bench.Http;

/// <summary>
/// A way of sending a fixed 1,000 requests/s over 10 keep-alive connections with hey, for a fixed count
/// (so connection errors are the count asked for minus hey's CSV rows).
/// </summary>
/// <remarks>
/// The two patterns differ only in phase. hey's workers each tick at their own rate from the same
/// start, so one `hey -c 10 -q 100` sends its 10 requests together every 10 ms: a burst of 10 that
/// queues in front of the app (and the proxy) 100 times a second, and whose 10th request sets the
/// p99. Ten separate `hey -c 1 -q 100` started one after another tick at unrelated phases, as ten
/// independent clients would: the same rate without the lock-step bursts. The proxy's p99 overhead
/// is reported for both.
/// </remarks>
internal sealed record FixedRatePattern(string Key, string Title, string Command)
{
    public const int Connections = 10;
    public const int RatePerConnection = 100;
    public const int RequestsPerSecond = Connections * RatePerConnection;

    /// <summary>Requests per connection in one run (5 s at 100/s).</summary>
    public const int RequestsPerConnection = 500;

    public static readonly FixedRatePattern IndependentClients = new(
        "independent",
        "10 independent clients",
        $"{Connections} × `hey -n {RequestsPerConnection} -c 1 -q {RatePerConnection}` started one after another");

    public static readonly FixedRatePattern LockStep = new(
        "lock-step",
        "lock-step bursts of 10",
        $"`hey -n {Connections * RequestsPerConnection} -c {Connections} -q {RatePerConnection}` whose workers tick together: 10 requests at once every 10 ms");

    public static IReadOnlyList<FixedRatePattern> All { get; } = [IndependentClients, LockStep];

    public TimeSpan Duration => TimeSpan.FromSeconds((double)RequestsPerConnection / RatePerConnection);

    public async Task<LoadRun> RunAsync(string url, CancellationToken cancel)
    {
        if (this == LockStep)
        {
            return await Hey.RunCsvAsync(url, new LoadProfile(Connections, RatePerConnection, Connections * RequestsPerConnection, KeepAlive: true), cancel);
        }
        var clients = new List<Task<LoadRun>>(Connections);
        for (var i = 0; i < Connections; i++)
        {
            clients.Add(Hey.RunCsvAsync(url, new LoadProfile(1, RatePerConnection, RequestsPerConnection, KeepAlive: true), cancel));
            // Each client's ticker starts when its process is up: a pause between starts spreads their phases.
            await Task.Delay(TimeSpan.FromMilliseconds(1), cancel);
        }
        return LoadRun.Combine(await Task.WhenAll(clients));
    }
}
