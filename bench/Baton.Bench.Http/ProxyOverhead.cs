using System.Globalization;

namespace Baton.Bench.Http;

/// <summary>One arrival pattern at the fixed rate: every direct run and every proxy run pooled, and each pair's p99 difference.</summary>
internal sealed record FixedRateComparison(FixedRatePattern Pattern, LoadRun Direct, LoadRun? Proxy, IReadOnlyList<double> PairP99OverheadsMs)
{
    public double DirectP50Ms => LoadRun.Percentile(Direct.Answered, 50);
    public double DirectP99Ms => LoadRun.Percentile(Direct.Answered, 99);
    public double ProxyP50Ms => Proxy is null ? double.NaN : LoadRun.Percentile(Proxy.Answered, 50);
    public double ProxyP99Ms => Proxy is null ? double.NaN : LoadRun.Percentile(Proxy.Answered, 99);
    public double P99OverheadMs => ProxyP99Ms - DirectP99Ms;
}

/// <summary>The same hey runs straight at one hello instance and through baton-proxy to that instance.</summary>
internal sealed record OverheadResult(string DirectTarget, HeySummary DirectMax, HeySummary? ProxyMax, IReadOnlyList<FixedRateComparison> AtRate,
    ProxyCpu? ProxyCpuMax = null, ProxyCpu? ProxyCpuAtRate = null);

/// <summary>baton-proxy's CPU time (user + system) over some hey runs, and per answered request.</summary>
internal sealed record ProxyCpu(TimeSpan Used, long Requests)
{
    public double MicrosecondsPerRequest => Requests == 0 ? double.NaN : Used.TotalMicroseconds / Requests;

    public static ProxyCpu operator +(ProxyCpu a, ProxyCpu b) => new(a.Used + b.Used, a.Requests + b.Requests);

    /// <summary>Runs <paramref name="run"/> and charges the proxy's CPU over it to its answered requests.</summary>
    public static async Task<(T Result, ProxyCpu Cpu)> MeasureAsync<T>(int proxyPid, Func<Task<T>> run, Func<T, long> answered)
    {
        var before = ProcFs.CpuTime(proxyPid);
        var result = await run();
        return (result, new ProxyCpu(ProcFs.CpuTime(proxyPid) - before, answered(result)));
    }
}

/// <summary>
/// baton-proxy's cost: maximum throughput at a fixed concurrency for a fixed time, and p50/p99 at a
/// fixed 1,000 requests/s in two arrival patterns (<see cref="FixedRatePattern"/>), each straight to
/// one app instance and through the proxy. With Baton, the direct runs hit the very instance the
/// proxy forwards to (its port from `baton ps`); without (`--only pm2`), an instance the bench starts
/// itself (`node server.js`, same code).
/// </summary>
/// <remarks>
/// Direct and proxy runs alternate, <see cref="Pairs"/> times per pattern, and each side's requests
/// are pooled before taking percentiles: the machine's load drifts on a scale of seconds, and one
/// 10 s run per side let a drift land on one side only (single pairs here differ by ±0.5 ms at p99).
/// </remarks>
internal static class ProxyOverhead
{
    public const int Workers = 10;
    public const int Pairs = 3;
    public static readonly TimeSpan MaxThroughputDuration = TimeSpan.FromSeconds(10);

    public static async Task<OverheadResult> RunDirectOnlyAsync(HelloReleases releases, CancellationToken cancel)
    {
        var port = LoopbackPorts.Ephemeral();
        await using var app = new ChildProcess("hello v1", "node", [Path.Combine(releases.V1, "server.js")],
            new Dictionary<string, string> { ["PORT"] = port.ToString(CultureInfo.InvariantCulture) });
        var url = $"http://127.0.0.1:{port}/";
        await HelloProbe.WaitForAsync(url, "v1", times: 3, TimeSpan.FromSeconds(20), cancel, () => app.Output);
        Console.WriteLine($"  direct to one instance (`node server.js`, started by the bench): max throughput, then {FixedRatePattern.RequestsPerSecond}/s");
        var max = await Hey.RunForAsync(url, Workers, null, MaxThroughputDuration, cancel);
        var atRate = new List<FixedRateComparison>();
        foreach (var pattern in FixedRatePattern.All)
        {
            var runs = new List<LoadRun>();
            for (var pair = 0; pair < Pairs; pair++) runs.Add(await pattern.RunAsync(url, cancel));
            atRate.Add(new FixedRateComparison(pattern, LoadRun.Combine(runs), null, []));
        }
        Report(max, null, atRate);
        return new OverheadResult("one `node server.js` started by the bench", max, null, atRate);
    }

    public static async Task<OverheadResult> RunWithProxyAsync(BatonBinaries binaries, string specYaml, HelloReleases releases, CancellationToken cancel)
    {
        // One instance, so the proxy and the direct runs hit the same process.
        var oneInstance = specYaml.Replace("instances_per_agent: 2", "instances_per_agent: 1", StringComparison.Ordinal);
        await using var stack = await BatonStack.StartAsync(binaries, oneInstance, HelloReleases.Artifact(releases.V1), cancel);
        var ports = await stack.InstancePortsAsync(cancel);
        if (ports.Count != 1) throw new InvalidOperationException($"expected one ready instance of hello, `baton ps` shows {ports.Count}");
        var direct = $"http://127.0.0.1:{ports[0]}/";
        Console.WriteLine($"  direct ({direct}) and through baton-proxy ({stack.ProxyUrl}), alternating: max throughput, then {FixedRatePattern.RequestsPerSecond}/s in {FixedRatePattern.All.Count} patterns × {Pairs} pairs");

        var directMax = await Hey.RunForAsync(direct, Workers, null, MaxThroughputDuration, cancel);
        var (proxyMax, proxyCpuMax) = await ProxyCpu.MeasureAsync(stack.ProxyPid,
            () => Hey.RunForAsync(stack.ProxyUrl, Workers, null, MaxThroughputDuration, cancel), s => s.Answered);

        var atRate = new List<FixedRateComparison>();
        var proxyCpuAtRate = new ProxyCpu(TimeSpan.Zero, 0);
        foreach (var pattern in FixedRatePattern.All)
        {
            var directRuns = new List<LoadRun>();
            var proxyRuns = new List<LoadRun>();
            var pairOverheads = new List<double>();
            for (var pair = 0; pair < Pairs; pair++)
            {
                var directRun = await pattern.RunAsync(direct, cancel);
                var (proxyRun, cpu) = await ProxyCpu.MeasureAsync(stack.ProxyPid, () => pattern.RunAsync(stack.ProxyUrl, cancel), r => r.Answered.Count);
                proxyCpuAtRate += cpu;
                directRuns.Add(directRun);
                proxyRuns.Add(proxyRun);
                pairOverheads.Add(LoadRun.Percentile(proxyRun.Answered, 99) - LoadRun.Percentile(directRun.Answered, 99));
            }
            atRate.Add(new FixedRateComparison(pattern, LoadRun.Combine(directRuns), LoadRun.Combine(proxyRuns), pairOverheads));
        }
        Report(directMax, proxyMax, atRate);
        Console.WriteLine($"    proxy CPU per request: {proxyCpuMax.MicrosecondsPerRequest:0} µs at max, {proxyCpuAtRate.MicrosecondsPerRequest:0} µs at {FixedRatePattern.RequestsPerSecond}/s");
        return new OverheadResult("the instance the proxy forwards to (launched by baton-agent)", directMax, proxyMax, atRate, proxyCpuMax, proxyCpuAtRate);
    }

    private static void Report(HeySummary directMax, HeySummary? proxyMax, IReadOnlyList<FixedRateComparison> atRate)
    {
        Console.WriteLine($"    max throughput: direct {directMax.RequestsPerSecond:0}/s (p99 {directMax.P99Ms:0.0} ms, {directMax.Failed} failed)"
            + (proxyMax is null ? "" : $", proxy {proxyMax.RequestsPerSecond:0}/s (p99 {proxyMax.P99Ms:0.0} ms, {proxyMax.Failed} failed)"));
        foreach (var c in atRate)
        {
            Console.WriteLine($"    {FixedRatePattern.RequestsPerSecond}/s, {c.Pattern.Title}: direct p50 {c.DirectP50Ms:0.0} ms p99 {c.DirectP99Ms:0.0} ms ({c.Direct.Failed} failed)"
                + (c.Proxy is null ? "" : $"; proxy p50 {c.ProxyP50Ms:0.0} ms p99 {c.ProxyP99Ms:0.0} ms ({c.Proxy.Failed} failed); p99 overhead {c.P99OverheadMs:+0.0;-0.0} ms (pairs: {string.Join(", ", c.PairP99OverheadsMs.Select(d => d.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)))})"));
        }
    }
}
