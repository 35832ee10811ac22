using System.Globalization;

namespace Baton.Bench.Http;

/// <summary>The same hey runs straight at one hello instance and through baton-proxy to that instance.</summary>
internal sealed record OverheadResult(string DirectTarget, HeySummary DirectMax, HeySummary DirectAtRate, HeySummary? ProxyMax, HeySummary? ProxyAtRate,
    ProxyCpu? ProxyCpuMax = null, ProxyCpu? ProxyCpuAtRate = null);

/// <summary>baton-proxy's CPU time (user + system) over one hey run, and per answered request.</summary>
internal sealed record ProxyCpu(TimeSpan Used, long Requests)
{
    public double MicrosecondsPerRequest => Requests == 0 ? double.NaN : Used.TotalMicroseconds / Requests;

    /// <summary>Runs <paramref name="run"/> and charges the proxy's CPU over it to its answered requests.</summary>
    public static async Task<(HeySummary Summary, ProxyCpu Cpu)> MeasureAsync(int proxyPid, Func<Task<HeySummary>> run)
    {
        var before = ProcessCpu.Used(proxyPid);
        var summary = await run();
        return (summary, new ProxyCpu(ProcessCpu.Used(proxyPid) - before, summary.Answered));
    }
}

/// <summary>
/// baton-proxy's cost: maximum throughput at a fixed concurrency for a fixed time, and p99 at a fixed
/// 1,000 requests/s (hey -c 10 -q 100), each straight to one app instance and through the proxy.
/// With Baton, the direct runs hit the very instance the proxy forwards to (its port from `baton ps`);
/// without (`--only pm2`), an instance the bench starts itself (`node server.js`, same code).
/// </summary>
internal static class ProxyOverhead
{
    public const int Workers = 10;
    public const int RatePerWorker = 100;
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    public static async Task<OverheadResult> RunDirectOnlyAsync(HelloReleases releases, CancellationToken cancel)
    {
        var port = LoopbackPorts.Ephemeral();
        await using var app = new ChildProcess("hello v1", "node", [Path.Combine(releases.V1, "server.js")],
            new Dictionary<string, string> { ["PORT"] = port.ToString(CultureInfo.InvariantCulture) });
        var url = $"http://127.0.0.1:{port}/";
        await HelloProbe.WaitForAsync(url, "v1", times: 3, TimeSpan.FromSeconds(20), cancel, () => app.Output);
        Console.WriteLine($"  direct to one instance (`node server.js`, started by the bench): max throughput, then p99 at {Workers * RatePerWorker}/s");
        var max = await Hey.RunForAsync(url, Workers, null, Duration, cancel);
        var atRate = await Hey.RunForAsync(url, Workers, RatePerWorker, Duration, cancel);
        Report("direct", max, atRate);
        return new OverheadResult("one `node server.js` started by the bench", max, atRate, null, null);
    }

    public static async Task<OverheadResult> RunWithProxyAsync(BatonBinaries binaries, string specYaml, HelloReleases releases, CancellationToken cancel)
    {
        // One instance, so the proxy and the direct runs hit the same process.
        var oneInstance = specYaml.Replace("instances_per_agent: 2", "instances_per_agent: 1", StringComparison.Ordinal);
        await using var stack = await BatonStack.StartAsync(binaries, oneInstance, HelloReleases.Artifact(releases.V1), cancel);
        var ports = await stack.InstancePortsAsync(cancel);
        if (ports.Count != 1) throw new InvalidOperationException($"expected one ready instance of hello, `baton ps` shows {ports.Count}");
        var direct = $"http://127.0.0.1:{ports[0]}/";
        Console.WriteLine($"  direct ({direct}) and through baton-proxy ({stack.ProxyUrl}), alternating: max throughput, then p99 at {Workers * RatePerWorker}/s");
        // Alternating direct and proxy runs, so a change in the machine's load hits both alike.
        var directMax = await Hey.RunForAsync(direct, Workers, null, Duration, cancel);
        var (proxyMax, proxyCpuMax) = await ProxyCpu.MeasureAsync(stack.ProxyPid, () => Hey.RunForAsync(stack.ProxyUrl, Workers, null, Duration, cancel));
        var directAtRate = await Hey.RunForAsync(direct, Workers, RatePerWorker, Duration, cancel);
        var (proxyAtRate, proxyCpuAtRate) = await ProxyCpu.MeasureAsync(stack.ProxyPid, () => Hey.RunForAsync(stack.ProxyUrl, Workers, RatePerWorker, Duration, cancel));
        Report("direct", directMax, directAtRate);
        Report("proxy", proxyMax, proxyAtRate);
        Console.WriteLine($"    proxy CPU per request: {proxyCpuMax.MicrosecondsPerRequest:0} µs at max, {proxyCpuAtRate.MicrosecondsPerRequest:0} µs at {Workers * RatePerWorker}/s");
        return new OverheadResult("the instance the proxy forwards to (launched by baton-agent)", directMax, directAtRate, proxyMax, proxyAtRate, proxyCpuMax, proxyCpuAtRate);
    }

    private static void Report(string what, HeySummary max, HeySummary atRate) =>
        Console.WriteLine($"    {what}: max {max.RequestsPerSecond:0}/s (p99 {max.P99Ms:0.0} ms, {max.Failed} failed); at {Workers * RatePerWorker}/s p50 {atRate.P50Ms:0.0} ms p99 {atRate.P99Ms:0.0} ms ({atRate.Failed} failed)");
}
