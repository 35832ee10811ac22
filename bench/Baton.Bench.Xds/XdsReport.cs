using System.Globalization;
using System.Text;

namespace Baton.Bench.Xds;

/// <summary>
/// Turns one run's measurements into the "xDS server (issue 3)" section of docs/benchmarks.md:
/// the question, the machine and command, how it measures, the figures, the targets with their
/// verdicts, and notes. Everything that depends on the run is computed here, so the section never
/// describes a run other than the one whose figures it shows.
/// </summary>
internal static class XdsReport
{
    public const string SectionHeading = "## xDS server (issue 3)";
    private const int SmallFleet = 1_000;
    private const double SmallFleetP99TargetMs = 100;
    private const int LargeFleet = 10_000;
    private const double LargeFleetConvergeTargetMs = 1_000;
    private const double IdleStreamRssTargetKb = 20;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string ToMarkdown(IReadOnlyList<ScenarioResult> results, BenchOptions options, BenchMachine machine, string arguments, DateTimeOffset started, DateTimeOffset ended)
    {
        var md = new StringBuilder();
        md.AppendLine(SectionHeading);
        md.AppendLine();
        md.AppendLine("**Question.** With N Envoys connected to one app, how long does one weight step take to reach all of");
        md.AppendLine("them (pushed *and* ACKed), what does the push cost the server in CPU, and what does an idle stream cost in");
        md.AppendLine("memory? This section is written by the benchmark itself (`--no-docs` leaves it alone).");
        md.AppendLine();
        AppendMachineAndRun(md, results, machine, arguments, started, ended);
        AppendMethod(md, results, options);
        AppendFigures(md, results);
        AppendTargets(md, results);
        AppendNotes(md, results);
        return md.ToString();
    }

    private static void AppendMachineAndRun(StringBuilder md, IReadOnlyList<ScenarioResult> results, BenchMachine machine, string arguments, DateTimeOffset started, DateTimeOffset ended)
    {
        var loads = results.SelectMany(r => new[] { r.LoadBefore, r.LoadAfter }).Select(l => double.Parse(l, Inv)).ToList();
        md.AppendLine("### Machine and run");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        md.AppendLine(Inv, $"| machine | {machine.Cores} cores, {machine.MemoryGiB:0.0} GiB RAM, CPU model as reported by `/proc/cpuinfo`: \"{machine.CpuModel}\"; Linux {machine.Kernel} |");
        md.AppendLine(Inv, $"| runtime | .NET {machine.DotNet}, {machine.BuildConfiguration} build |");
        md.AppendLine(Inv, $"| date | run started {started:yyyy-MM-dd HH:mm} UTC; {(ended - started).TotalSeconds:0} s of benchmark (the build not counted) |");
        md.AppendLine(arguments.Length == 0
            ? "| command | `dotnet run -c Release --project bench/Baton.Bench.Xds` (what the Cake `Bench` task runs; defaults `--sizes 1000,5000,10000 --pushes 3 --streams-per-connection 100 --budget-seconds 280`) |"
            : $"| command | `dotnet run -c Release --project bench/Baton.Bench.Xds -- {arguments}` |");
        md.AppendLine(loads.Count == 0
            ? "| other load | not recorded |"
            : string.Create(Inv, $"| other load | 1-minute load average {Span(loads, "0.0")} during this run (per scenario in the second table); the cores may be shared with other work |"));
        md.AppendLine(Inv, $"| open files limit | `ulimit -n` {machine.OpenFilesLimit} |");
        md.AppendLine();
    }

    private static void AppendMethod(StringBuilder md, IReadOnlyList<ScenarioResult> results, BenchOptions options)
    {
        var perConnection = options.StreamsPerConnection;
        md.AppendLine("### How it measures");
        md.AppendLine();
        md.AppendLine("- **Two processes.** The benchmark starts the server as a child process (`Baton.Bench.Xds host`) running");
        md.AppendLine("  the real server code wired exactly as `baton server` wires it: `WebApplication.CreateSlimBuilder`,");
        md.AppendLine("  Kestrel on 127.0.0.1, HTTP/2 only, Kestrel's default limits, `AddBatonXds` + `AddBatonLoadReporting`,");
        md.AppendLine("  `UseLeanStreams` (capped Kestrel buffer pool, no per-request hosting Activity), workstation concurrent GC");
        md.AppendLine("  with `System.GC.ConserveMemory` 9 (both csprojs set what `baton.runtimeconfig.json` and the NativeAOT");
        md.AppendLine("  `baton` have), run by the JIT, not the NativeAOT build `baton server` ships as.");
        if (options.ServerEnvironment.Count > 0)
        {
            md.AppendLine(Inv, $"  **This run changed the server's environment:** {string.Join(", ", options.ServerEnvironment.Select(e => $"`{e.Key}={e.Value}`"))}.");
        }
        md.AppendLine("  Differences from `baton server`: a");
        md.AppendLine("  kernel-chosen port, log level Warning (`baton server` logs each stream open/close at Information), and a");
        md.AppendLine("  loopback-only admin hook — the child's stdin/stdout, reachable only by its parent — to call");
        md.AppendLine("  `IXdsPublisher.ApplyAndConfirmAsync` inside the server process and to report GC figures. The child exits");
        md.AppendLine("  when its stdin closes; the driver kills it on any failure, on SIGTERM/SIGINT and at exit.");
        md.AppendLine("- **Data planes.** The driver process opens N SotW ADS streams that behave like Envoy: LDS and CDS");
        md.AppendLine("  wildcard, then RDS for the route their listener names and EDS for the clusters they got; each ACKs every");
        md.AppendLine("  response. The app is HTTP with two releases of two endpoints each; a weight step changes only the route,");
        md.AppendLine("  so each stream gets exactly one new RDS response per step (any response beyond that is counted below the");
        md.AppendLine("  figures).");
        md.AppendLine(Inv, $"- **Connections: {perConnection} stream{(perConnection == 1 ? "" : "s")} per HTTP/2 connection** (Kestrel's per-connection stream limit left at its");
        md.AppendLine("  default, 100). Real Envoys open one connection each, so in production that limit never binds. Opening one");
        md.AppendLine("  connection per simulated Envoy would make the client process, not the server, the thing being measured;");
        md.AppendLine(Inv, $"  so the driver opens ⌈N/{perConnection}⌉ connections (one `SocketsHttpHandler` each, no second connection, so the count");
        md.AppendLine("  is exact). Consequence: per-connection server memory is amortized over the streams of a connection.");
        md.AppendLine("  `--streams-per-connection 1` is available (the server's fd count then grows by one per stream).");
        if (results.Count > 0)
        {
            var largest = results.MaxBy(r => r.Streams)!;
            md.AppendLine(Inv, $"- **File descriptors.** The server held {largest.ServerFds} fds at {largest.Streams:N0} streams; the benchmark does not");
            md.AppendLine("  change limits (with `--streams-per-connection 1` both processes need about N more fds than that).");
        }
        md.AppendLine("- **Sequence per N** (fresh server process per N): set the app; warm-up — 10 streams connect, sync, take");
        md.AppendLine("  one step, leave (so JIT and pools are warm); full compacting GC; **RSS 0**; connect N streams and wait");
        md.AppendLine("  until every client has ACKed all four types and the server reports N synced streams; full compacting");
        md.AppendLine(Inv, $"  GC; **RSS N**; then {options.Pushes} weight step{(options.Pushes == 1 ? "" : "s")}, 500 ms apart.");
        md.AppendLine("- **One step.** The host takes a `Stopwatch` timestamp (CLOCK_MONOTONIC, the same clock in both");
        md.AppendLine("  processes) and calls `ApplyAndConfirmAsync`; each client takes a timestamp when it receives the new");
        md.AppendLine("  route and when its ACK has been written. *p50/p99/max* are publish → ACK written, over the N streams");
        md.AppendLine("  (nearest rank). *Server confirmed* is how long `ApplyAndConfirmAsync` took to return `Acked` for all N");
        md.AppendLine("  (the server has then read and processed every ACK). *Server/client CPU* are utime+stime deltas from");
        md.AppendLine("  `/proc/<pid>/stat` (10 ms resolution) from just before the publish to 250 ms after the last ACK (to");
        md.AppendLine("  include the streams' last look after their ACK). *Server alloc* is `GC.GetTotalAllocatedBytes` in the");
        md.AppendLine("  server process over the step. *RSS per idle stream* = (VmRSS with N − VmRSS with 0) / N from");
        md.AppendLine("  `/proc/<pid>/status`; *managed heap per stream* is the same difference of the GC heap size after a full");
        md.AppendLine("  compacting GC.");
        md.AppendLine();
    }

    private static void AppendFigures(StringBuilder md, IReadOnlyList<ScenarioResult> results)
    {
        md.AppendLine("### Figures");
        md.AppendLine();
        md.AppendLine("| streams | push | first route received ms | p50 ms | p99 ms | max ms | server confirmed ms | server CPU ms | client CPU ms | server alloc MiB | GCs gen0/gen2 |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            for (var i = 0; i < r.Pushes.Count; i++)
            {
                var p = r.Pushes[i];
                md.AppendLine(Inv, $"| {r.Streams:N0} | {i + 1} | {p.FirstReceivedMs:0.0} | {p.P50Ms:0.0} | {p.P99Ms:0.0} | {p.MaxMs:0.0} | {p.ConfirmedMs:0.0} | " +
                    $"{p.ServerCpuMs:0} | {p.ClientCpuMs:0} | {p.ServerAllocatedBytes / 1024.0 / 1024.0:0.0} | {p.Gen0}/{p.Gen2} |");
            }
        }
        md.AppendLine();
        md.AppendLine("| streams | connections | connect + sync s | server RSS 0 MiB | server RSS N MiB | RSS per idle stream KB | managed heap per stream KB | server fds | server threads | load avg before/after |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            md.AppendLine(Inv, $"| {r.Streams:N0} | {r.Connections} | {r.ConnectSeconds:0.0} | {r.Rss0 / 1048576.0:0.0} | {r.RssN / 1048576.0:0.0} | " +
                $"{r.RssPerStreamKb:0.0} | {r.HeapPerStreamKb:0.0} | {r.ServerFds} | {r.ServerThreads} | {r.LoadBefore}/{r.LoadAfter} |");
        }
        md.AppendLine();
        md.AppendLine(Inv, $"Responses beyond the one new route per stream during pushes: {results.SelectMany(r => r.Pushes).Sum(p => p.ExtraResponses)}.");
        md.AppendLine();
    }

    private static void AppendTargets(StringBuilder md, IReadOnlyList<ScenarioResult> results)
    {
        md.AppendLine("### Targets");
        md.AppendLine();
        md.AppendLine("| target | result | verdict |");
        md.AppendLine("|---|---|---|");

        var small = results.FirstOrDefault(r => r.Streams == SmallFleet);
        var smallTarget = string.Create(Inv, $"{SmallFleet:N0} streams converge in ≤ {SmallFleetP99TargetMs} ms at p99 (every step)");
        md.AppendLine(small is null
            ? NotMeasured(smallTarget, SmallFleet)
            : string.Create(Inv, $"| {smallTarget} | p99 {Range(small, p => p.P99Ms)} ms over {Steps(small)} (max {Range(small, p => p.MaxMs)} ms; server confirmed {Range(small, p => p.ConfirmedMs)} ms) | {Verdict(small.Pushes.All(p => p.P99Ms <= SmallFleetP99TargetMs))} |"));

        // Converged = every stream's ACK processed by the server, which is what "server confirmed" times.
        var large = results.FirstOrDefault(r => r.Streams == LargeFleet);
        var largeTarget = string.Create(Inv, $"{LargeFleet:N0} streams converge in ≤ {LargeFleetConvergeTargetMs / 1000:0} s (server confirmed, every step)");
        md.AppendLine(large is null
            ? NotMeasured(largeTarget, LargeFleet)
            : string.Create(Inv, $"| {largeTarget} | server confirmed {Range(large, p => p.ConfirmedMs)} ms over {Steps(large)} (p99 {Range(large, p => p.P99Ms)} ms, max {Range(large, p => p.MaxMs)} ms) | {Verdict(large.Pushes.All(p => p.ConfirmedMs <= LargeFleetConvergeTargetMs))} |"));

        // Judged at the largest N measured: at small N the RSS delta is of the order of the GC's own fluctuations.
        var memoryTarget = string.Create(Inv, $"≤ {IdleStreamRssTargetKb:0} KB RSS per idle stream (at the largest N measured)");
        if (results.Count == 0)
        {
            md.AppendLine(string.Create(Inv, $"| {memoryTarget} | not measured in this run | – |"));
        }
        else
        {
            var largest = results.MaxBy(r => r.Streams)!;
            var all = string.Join(", ", results.Select(r => string.Create(Inv, $"{r.RssPerStreamKb:0.0} KB at {r.Streams:N0}")));
            md.AppendLine(string.Create(Inv, $"| {memoryTarget} | {all}; live managed heap alone {Span(results.Select(r => r.HeapPerStreamKb), "0.0")} KB | {Verdict(largest.RssPerStreamKb <= IdleStreamRssTargetKb)} |"));
        }
        md.AppendLine();
    }

    private static void AppendNotes(StringBuilder md, IReadOnlyList<ScenarioResult> results)
    {
        md.AppendLine("### Notes");
        md.AppendLine();
        if (results.Count > 0)
        {
            var pushes = results.SelectMany(r => r.Pushes).ToList();
            var largest = results.MaxBy(r => r.Streams)!;
            md.AppendLine(Inv, $"- **Shared cores.** Server and simulated Envoys run on the same {Environment.ProcessorCount} cores, with whatever else the machine");
            md.AppendLine(Inv, $"  runs (load average in the second table). The simulated Envoys used {Span(pushes.Select(p => p.ClientCpuMs), "0")} ms of CPU per step (client CPU");
            md.AppendLine("  column), CPU the server could not use. Wall-clock figures therefore vary from run to run and are");
            md.AppendLine("  pessimistic for a dedicated control-plane host; the server CPU and allocation columns are the steadier");
            md.AppendLine("  measures of the server itself.");
            md.AppendLine(Inv, $"- **Where a step's time goes.** At {largest.Streams:N0} streams the first stream received the new route only after");
            md.AppendLine(Inv, $"  {Range(largest, p => p.FirstReceivedMs)} ms. Our reading (not verified): the wakes of all streams are queued on the thread pool");
            md.AppendLine("  before any connection's output loop gets to run.");
        }
        md.AppendLine("- **RSS per idle stream is noisy at small N**: the delta is then a few tens of MiB, comparable to the");
        md.AppendLine("  GC's own commit fluctuations. The managed-heap figure (live objects after a full compacting GC)");
        md.AppendLine("  is the stable one; it includes Kestrel's and gRPC's per-stream objects as well as Baton's stream state.");
        md.AppendLine("- **Warm-up.** Each server process takes one unmeasured step with 10 streams before the baseline, so the");
        md.AppendLine("  figures are for a warm server; the first measured step of each N is still somewhat slower.");
        md.AppendLine("- The server may log `Error when executing service method 'StreamAggregatedResources'` (IOException");
        md.AppendLine("  \"client reset the request stream\") for some streams when the benchmark disconnects them at the end; it");
        md.AppendLine("  does not affect the figures.");
        md.AppendLine("- How the server got to these figures (before/after, what changed) and what is left to do: the next section.");
    }

    private static string NotMeasured(string target, int streams) =>
        string.Create(Inv, $"| {target} | not measured in this run (`--sizes` without {streams}) | – |");

    private static string Verdict(bool pass) => pass ? "**pass**" : "**fail**";

    private static string Steps(ScenarioResult r) => r.Pushes.Count == 1 ? "1 step" : string.Create(Inv, $"{r.Pushes.Count} steps");

    /// <summary>A figure over the steps of one size, in whole milliseconds.</summary>
    private static string Range(ScenarioResult r, Func<PushResult, double> figure) => Span(r.Pushes.Select(figure), "0");

    /// <summary>"a–b", or the single value when both ends agree to the shown precision.</summary>
    private static string Span(IEnumerable<double> values, string format)
    {
        var list = values.ToList();
        var min = list.Min().ToString(format, Inv);
        var max = list.Max().ToString(format, Inv);
        return min == max ? min : $"{min}–{max}";
    }
}

/// <summary>The machine a run was measured on, as the report states it.</summary>
internal sealed record BenchMachine(int Cores, double MemoryGiB, string CpuModel, string Kernel, string DotNet, string BuildConfiguration, string OpenFilesLimit)
{
    public static BenchMachine Describe()
    {
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        // "Max open files  SOFT  HARD  files": the limit both benchmark processes run under.
        var files = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal))?
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new BenchMachine(
            Environment.ProcessorCount,
            double.Parse(memKb, CultureInfo.InvariantCulture) / 1024 / 1024,
            model,
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            Environment.Version.ToString(),
#if DEBUG
            "Debug",
#else
            "Release",
#endif
            files is { Length: >= 5 } ? $"{files[3]} soft, {files[4]} hard" : "unknown");
    }
}
