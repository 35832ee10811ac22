using System.Globalization;
using System.Text;

namespace Baton.Bench.Http;

/// <summary>Turns one run into the "baton-proxy and PM2 reload (issue 5)" section of docs/benchmarks.md.</summary>
internal sealed class HttpBenchReport(
    IReadOnlyList<SwitchResult> switches, OverheadResult overhead, Machine machine, string pm2Version, string heyVersion,
    string arguments, bool batonMeasured, string loadAfter, TimeSpan elapsed)
{
    public const string SectionHeading = "## baton-proxy and PM2 reload (issue 5)";
    private const double ProxyP99OverheadTargetMs = 1;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine(SectionHeading);
        md.AppendLine();
        md.AppendLine("Written by `bench/Baton.Bench.Http` on every run (`--no-docs` leaves it alone).");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        md.AppendLine(Inv, $"| machine | {machine.Cores} cores (`nproc`), {machine.MemoryGiB:0.0} GiB RAM, CPU \"{machine.CpuModel}\", Linux {machine.Kernel} |");
        md.AppendLine(Inv, $"| runtime | .NET {machine.DotNet} (bench), Node {machine.Node}, PM2 {pm2Version}, hey {heyVersion} (Debian) |");
        md.AppendLine(Inv, $"| date | {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {elapsed.TotalSeconds:0} s for the whole bench |");
        md.AppendLine(Inv, $"| command | `dotnet run -c Release --project bench/Baton.Bench.Http{(arguments.Length > 0 ? " -- " + arguments : "")}` (what `dotnet cake --target=Bench` runs, after publishing `baton`, `baton-agent` and `baton-proxy`) |");
        md.AppendLine(Inv, $"| load average (1/5/15 min) | {machine.LoadAverage} at the start, {loadAfter} at the end: the 2 cores are shared with other engineers' builds and tests, and hey, the app and the supervisors share them too |");
        if (!batonMeasured)
            md.AppendLine("| Baton | **not measured in this run** (`--only pm2`): the Baton columns are empty, and so are the targets that need them |");
        md.AppendLine();

        md.AppendLine("### v1 → v2 under load: PM2 cluster reload vs Baton deploy through baton-proxy");
        md.AppendLine();
        md.AppendLine(string.Create(Inv, $"The app is [`examples/hello`](../examples/hello) (dependency-free Node HTTP server; on SIGTERM/SIGINT it stops accepting, finishes in-flight requests, closes keep-alive connections after their response, exits). Every scenario starts fresh: ")
            + "**PM2**: a daemon with its own `PM2_HOME`, `pm2 start server.js -i 2` (cluster mode: the daemon is the master and hands connections to 2 workers); the switch copies v2's files over the app's and runs `pm2 reload hello`. "
            + "**Baton**: `baton server`, one `baton-agent`, `baton apply -f examples/hello/hello.yaml` (2 instances, HTTP readiness on `/healthz`, steps 10 % → 50 % → 100 % with 2 s pauses and error-rate analysis; its `public_port` moved to a free port), `baton deploy hello --artifact hello-v1.tar.gz --watch`, then `baton-proxy --xds … --node bench-proxy --apps hello --listen-address 127.0.0.1`; the load goes through the proxy; the switch is `baton deploy hello --artifact hello-v2.tar.gz --watch`. "
            + string.Create(Inv, $"The load (loopback) starts {SwitchScenario.LeadIn.TotalSeconds:0} s before the switch; (a) uses hey (a new connection per request), (b) and (c) the bench's own keep-alive client, because hey (Go's net/http) silently sends a GET again on a new connection when a reused keep-alive connection is closed before any response byte, which is what a reloading worker does (see the notes below). **Failed** = connection errors (hey: requests asked for minus its CSV rows, i.e. refused, reset, timed out after 10 s; the bench's client records each failed request and why) + non-2xx answers. **p99 during the switch** = over the answered requests that started between the switch command's start and its end. **Switch took** = that command's duration (Baton's includes the canary's 4 s of pauses; PM2 has none). **Serving after** = what answers `GET /` once the load is over. RSS is read after the load."));
        md.AppendLine();
        foreach (var scenario in SwitchScenario.All)
        {
            var pm2 = switches.FirstOrDefault(s => s.Scenario == scenario && s.Side == Pm2Side.Name);
            var baton = switches.FirstOrDefault(s => s.Scenario == scenario && s.Side == BatonSide.Name);
            if (pm2 is null && baton is null) continue;
            md.AppendLine(Inv, $"**({scenario.Key}) {scenario.Title}** — {scenario.Load.Describe()}{(scenario.BrokenV2 ? "; v2 is v2's code with `HELLO_CRASH_ON_START=1` set in it (exits 1 at start)" : "")}");
            md.AppendLine();
            md.AppendLine("| figure | PM2 | Baton | Baton / PM2 |");
            md.AppendLine("|---|---:|---:|---:|");
            Row(md, "requests", pm2, baton, s => s.Load.Requested, Count);
            Row(md, "**failed**", pm2, baton, s => s.Load.Failed, v => $"**{Count(v)}**");
            Row(md, "…connection errors", pm2, baton, s => s.Load.ConnectionErrors, Count);
            Row(md, "…non-2xx answers", pm2, baton, s => s.Load.Non2xx, Count);
            if (scenario.Load.Client == LoadClient.NoRetry)
                Text(md, "…connection errors by kind", pm2, baton, s => s.Load.ErrorKinds is { Length: > 0 } kinds ? kinds : "none");
            Row(md, "answered requests started during the switch", pm2, baton, s => s.DuringSwitch.Count, Count, ratio: false);
            Row(md, "p99 latency during the switch", pm2, baton, s => s.P99DuringSwitchMs, Ms);
            Row(md, "p99 latency, whole run", pm2, baton, s => LoadRun.Percentile(s.Load.Answered, 99), Ms);
            Row(md, "switch took", pm2, baton, s => s.SwitchMs, Ms);
            Text(md, "switch command", pm2, baton, s => $"exit {s.Switch.ExitCode}{(s.SwitchInsideLoad ? "" : " (ended after the load: window cut short)")}");
            Text(md, "serving after", pm2, baton, s => s.ServingAfter);
            Row(md, "supervisor RSS (PM2 daemon / baton-agent)", pm2, baton, s => s.Rss[0].Bytes, Mb);
            Row(md, "baton-proxy RSS", pm2, baton, s => s.Rss.FirstOrDefault(r => r.Process == "baton-proxy")?.Bytes ?? double.NaN, Mb, ratio: false);
            Row(md, "baton server RSS (control plane, may run elsewhere)", pm2, baton, s => s.Rss.FirstOrDefault(r => r.Process.StartsWith("baton server", StringComparison.Ordinal))?.Bytes ?? double.NaN, Mb, ratio: false);
            md.AppendLine();
        }

        md.AppendLine("### baton-proxy overhead");
        md.AppendLine();
        var rate = FixedRatePattern.RequestsPerSecond;
        md.AppendLine(Inv, $"Keep-alive `GET /` of hello v1, one instance; direct = {overhead.DirectTarget}. **Max throughput**: `hey -z {ProxyOverhead.MaxThroughputDuration.TotalSeconds:0}s -c {ProxyOverhead.Workers}`, no rate limit (latencies from hey's summary). **Fixed rate, {rate:#,0} requests/s**, in two arrival patterns: *{FixedRatePattern.IndependentClients.Title}* ({FixedRatePattern.IndependentClients.Command}; they tick at unrelated phases) and *{FixedRatePattern.LockStep.Title}* ({FixedRatePattern.LockStep.Command}). Each run sends {FixedRatePattern.RequestsPerConnection:#,0} requests per connection ({FixedRatePattern.IndependentClients.Duration.TotalSeconds:0} s); direct and proxy runs alternate, {ProxyOverhead.Pairs} pairs per pattern, and each side's requests are pooled (hey's CSV, 0.1 ms resolution; nearest-rank percentiles).");
        md.AppendLine();
        md.AppendLine("| figure | direct | through baton-proxy | proxy − direct | proxy / direct |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        OverheadRow(md, "max throughput (requests/s)", overhead.DirectMax.RequestsPerSecond, overhead.ProxyMax?.RequestsPerSecond, v => v.ToString("#,0", Inv));
        OverheadRow(md, "…p99 at max throughput", overhead.DirectMax.P99Ms, overhead.ProxyMax?.P99Ms, Ms);
        OverheadRow(md, "…failed", overhead.DirectMax.Failed, overhead.ProxyMax?.Failed, Count);
        foreach (var c in overhead.AtRate)
        {
            OverheadRow(md, $"p50 at {rate:#,0}/s, {c.Pattern.Title}", c.DirectP50Ms, c.Proxy is null ? null : c.ProxyP50Ms, Ms);
            OverheadRow(md, $"**p99 at {rate:#,0}/s, {c.Pattern.Title}**", c.DirectP99Ms, c.Proxy is null ? null : c.ProxyP99Ms, Ms);
            OverheadRow(md, "…failed", c.Direct.Failed, c.Proxy?.Failed, Count);
        }
        md.AppendLine();
        foreach (var c in overhead.AtRate.Where(c => c.Proxy is not null))
        {
            md.AppendLine(Inv, $"p99 overhead of each pair, {c.Pattern.Title}: {string.Join(", ", c.PairP99OverheadsMs.Select(SignedMs))}.");
        }
        md.AppendLine();
        if (overhead.ProxyCpuMax is { } cpuMax && overhead.ProxyCpuAtRate is { } cpuAtRate)
        {
            md.AppendLine(Inv, $"baton-proxy's own CPU (user + system, `/proc/PID/stat`, 10 ms ticks) per answered request: **{cpuAtRate.MicrosecondsPerRequest:0} µs at {rate:#,0} requests/s** ({cpuAtRate.Used.TotalMilliseconds:#,0} ms for {cpuAtRate.Requests:#,0} requests), {cpuMax.MicrosecondsPerRequest:0} µs at max throughput ({cpuMax.Used.TotalMilliseconds:#,0} ms for {cpuMax.Requests:#,0}). Unlike the latencies, this does not include waiting for one of the 2 shared cores.");
            md.AppendLine();
        }

        md.AppendLine("### Targets");
        md.AppendLine();
        md.AppendLine("| target | result |");
        md.AppendLine("|---|---|");
        foreach (var scenario in SwitchScenario.All)
        {
            var pm2 = switches.FirstOrDefault(s => s.Scenario == scenario && s.Side == Pm2Side.Name);
            var baton = switches.FirstOrDefault(s => s.Scenario == scenario && s.Side == BatonSide.Name);
            if (pm2 is null) continue;
            var verdict = pm2.Load.Failed == 0 ? $"PM2 failed none: no target ({(baton is null ? "Baton not measured" : $"Baton {Count(baton.Load.Failed)} failed")})"
                : baton is null ? $"**not measured** (PM2 failed {Count(pm2.Load.Failed)}; Baton not run)"
                : baton.Load.Failed == 0 ? $"**pass**: Baton 0 failed, PM2 {Count(pm2.Load.Failed)}"
                : $"**fail**: Baton {Count(baton.Load.Failed)} failed, PM2 {Count(pm2.Load.Failed)}";
            md.AppendLine(Inv, $"| ({scenario.Key}) {scenario.Title}: 0 failed requests wherever PM2 fails any | {verdict} |");
        }
        md.AppendLine(Inv, $"| proxy p99 overhead ≤ {ProxyP99OverheadTargetMs:0} ms at {rate:#,0} requests/s | {OverheadVerdict(overhead.AtRate)} |");
        return md.ToString();
    }

    private static void Row(StringBuilder md, string label, SwitchResult? pm2, SwitchResult? baton, Func<SwitchResult, double> figure, Func<double, string> format, bool ratio = true)
    {
        var p = pm2 is null ? double.NaN : figure(pm2);
        var b = baton is null ? double.NaN : figure(baton);
        var r = !ratio || double.IsNaN(p) || double.IsNaN(b) || p == 0 ? "" : (b / p).ToString("0.00", Inv);
        md.AppendLine(Inv, $"| {label} | {(double.IsNaN(p) ? "" : format(p))} | {(double.IsNaN(b) ? "" : format(b))} | {r} |");
    }

    private static void Text(StringBuilder md, string label, SwitchResult? pm2, SwitchResult? baton, Func<SwitchResult, string> figure) =>
        md.AppendLine(Inv, $"| {label} | {(pm2 is null ? "" : figure(pm2))} | {(baton is null ? "" : figure(baton))} | |");

    /// <summary>Pass only when every arrival pattern is within the target; each pattern's figure is shown.</summary>
    private static string OverheadVerdict(IReadOnlyList<FixedRateComparison> atRate)
    {
        var measured = atRate.Where(c => c.Proxy is not null).ToList();
        if (measured.Count == 0) return "**not measured** (no baton-proxy in this run)";
        var verdict = measured.All(c => c.P99OverheadMs <= ProxyP99OverheadTargetMs) ? "**pass**" : "**fail**";
        return $"{verdict}: {string.Join("; ", measured.Select(c => $"{SignedMs(c.P99OverheadMs)} ({c.Pattern.Title})"))}";
    }

    private static void OverheadRow(StringBuilder md, string label, double direct, double? proxy, Func<double, string> format)
    {
        var p = proxy ?? double.NaN;
        var diff = double.IsNaN(p) ? "" : (p - direct >= 0 ? "+" : "−") + format(Math.Abs(p - direct));
        var ratio = double.IsNaN(p) || direct == 0 ? "" : (p / direct).ToString("0.00", Inv);
        md.AppendLine(Inv, $"| {label} | {format(direct)} | {(double.IsNaN(p) ? "not measured" : format(p))} | {diff} | {ratio} |");
    }

    private static string Count(double v) => v.ToString("#,0", Inv);

    private static string Mb(double bytes) => (bytes / 1_000_000).ToString("0.0", Inv) + " MB";

    /// <summary>A difference with its sign ("+0.4 ms", "−1.2 ms"): an overhead can come out negative in a noisy run.</summary>
    private static string SignedMs(double ms) => double.IsNaN(ms) ? "–" : (ms < 0 ? "−" : "+") + Ms(Math.Abs(ms));

    private static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms < 10 ? ms.ToString("0.0", Inv) + " ms" : ms.ToString("#,0", Inv) + " ms";
}
