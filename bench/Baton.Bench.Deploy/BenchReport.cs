using System.Globalization;
using System.Text;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Bench.Deploy;

/// <summary>Turns one run's measurements into the "Deploy engine and CLI (issue 4)" section of docs/benchmarks.md.</summary>
internal sealed class BenchReport(IReadOnlyList<DeploySeries> series, CliResults cli, Machine machine, string loadAfterDeploys, string arguments, string agentDescription, TimeSpan elapsed)
{
    public const string SectionHeading = "## Deploy engine and CLI (issue 4)";
    private const double DeployOverheadTargetMs = 250;
    private const double CliTargetMs = 50;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine(SectionHeading);
        md.AppendLine();
        md.AppendLine("Written by `bench/Baton.Bench.Deploy` on every run; the options tried for the CLI and the notes are in the next section, written by hand.");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        md.AppendLine(Inv, $"| machine | {machine.Cores} cores (`nproc`), {machine.MemoryGiB:0.0} GiB RAM, CPU \"{machine.CpuModel}\", Linux {machine.Kernel} |");
        md.AppendLine(Inv, $"| runtime | .NET {machine.DotNet} (bench), Node {machine.Node}, PM2 {cli.Pm2Version}, {cli.Tool} |");
        md.AppendLine(Inv, $"| date | {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {elapsed.TotalSeconds:0} s for the whole bench |");
        md.AppendLine(Inv, $"| command | `dotnet run -c Release --project bench/Baton.Bench.Deploy{(arguments.Length > 0 ? " -- " + arguments : "")}` (what `dotnet cake --target=Bench` runs, after publishing `baton` and `baton-agent`) |");
        md.AppendLine(Inv, $"| load average (1/5/15 min) | {machine.LoadAverage} at the start, {loadAfterDeploys} after the deploys, {cli.LoadBefore} → {cli.LoadAfter} around the CLI timings: the 2 cores are shared with other engineers' builds and tests |");
        md.AppendLine();

        md.AppendLine("### Deploy overhead");
        md.AppendLine();
        md.AppendLine(string.Create(Inv, $"Two agents ({agentDescription}), `baton server` (`dotnet baton.dll server`), the app `tests/conformance/release-server.js` (a grpc-js ReleaseEcho server, Node) as a flat tar.gz, TCP readiness every {DeployScenario.ProbeIntervalMs} ms, `routing: {{protocol: grpc}}`, steps {string.Join(" → ", DeployScenario.StepWeights.Select((w, i) => DeployScenario.StepPausesMs[i] > 0 ? $"{w} % (pause {DeployScenario.StepPausesMs[i]} ms)" : $"{w} %"))}, `rollback_window: 1ms` (old release retired by the engine right after each deploy, before the next is measured). ")
            + "A real data plane is connected throughout: `tests/conformance/xds-client.js` (@grpc/grpc-js-xds) dialing `xds:///APP`, one call at a time with 10 ms between calls; every step of every measured deploy was ACK-gated by it (each receipt step counts ≥ 1 data plane). "
            + "The first deploy (v1, no steps) is not measured; then v2, v3, … each from the `StartDeploy` call to the `WatchDeploy` stream reporting `succeeded` (client Stopwatch). "
            + "**Overhead = total − the app's own readiness − the configured pauses**, where readiness is, per instance of the new release, the agent's STARTING → READY event times (from `WatchEvents` on both agents), the slowest instance, since the engine waits for all.");
        md.AppendLine();
        md.AppendLine("| instances | deploys | total, median (p90) | readiness, median (p90) | pauses | **overhead, median (p90)** | min–max | target ≤ 250 ms (median) | calls / failed during the deploys |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var s in series)
        {
            var total = Distribution.Of(s.Runs.Select(r => r.TotalMs));
            var ready = Distribution.Of(s.Runs.Select(r => r.ReadinessMs));
            var over = Distribution.Of(s.Runs.Select(r => r.OverheadMs));
            var verdict = over.Median <= DeployOverheadTargetMs ? "**pass**" : $"**fail** ({over.Median - DeployOverheadTargetMs:0} ms over)";
            md.AppendLine(Inv, $"| {s.Instances} over 2 agents (`{s.Placement}`) | {s.Runs.Count} | {Ms(total.Median)} ({Ms(total.P90)}) | {Ms(ready.Median)} ({Ms(ready.P90)}) | {Ms(s.Runs[0].PausesMs)} | **{Ms(over.Median)}** ({Ms(over.P90)}) | {Ms(over.Min)}–{Ms(over.Max)} | {verdict} | {s.CallsDuringDeploys} / {s.FailedCallsDuringDeploys} |");
        }
        md.AppendLine();
        md.AppendLine("Where the time goes, median over the deploys of each series (ms; server-side times from the deploy record's stamps: `created_at`, the `updated_at` of the first watch message in each phase, each receipt step's `applied_at`/`acked_at`, `finished_at`; the watch is latest-wins, so a phase passed in under a few ms may not be seen, shown as –):");
        md.AppendLine();
        var phases = Breakdown.Names;
        md.AppendLine("| phase | " + string.Join(" | ", series.Select(s => $"{s.Instances} instance{(s.Instances == 1 ? "" : "s")}")) + " |");
        md.AppendLine("|---|" + string.Concat(series.Select(_ => "---:|")));
        var breakdowns = series.Select(s => s.Runs.Select(Breakdown.Of).ToList()).ToList();
        foreach (var (key, label) in phases)
        {
            md.Append("| ").Append(label).Append(" |");
            foreach (var runs in breakdowns)
            {
                var d = Distribution.Of(runs.Select(b => b.GetValueOrDefault(key, double.NaN)));
                md.Append(' ').Append(d.Count == 0 ? "–" : d.Median.ToString("0", Inv)).Append(" |");
            }
            md.AppendLine();
        }
        md.AppendLine();

        md.AppendLine("### CLI fixed cost: `baton status APP` vs `pm2 status`");
        md.AppendLine();
        md.AppendLine(Inv, $"Against the server above (app `{series[^1].Runs[^1].Final.App}`, {series[^1].Instances} instances running, one finished deploy with its receipt); `pm2 status` against a PM2 daemon with its own `PM2_HOME` and one app running (`bench/apps/app.js`). {cli.Tool}: {CliScenario.Warmup} warm-up runs, then {CliScenario.Runs} runs each, output to /dev/null (so the plain-text, non-terminal path), no shell in between. CPU = user + system time of the process, mean per run.");
        md.AppendLine();
        md.AppendLine("| command | mean ± σ | median | min | CPU (user + sys) | vs `pm2 status` (mean) | target ≤ 50 ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        var pm2 = cli.Timings.Single(t => t.Name == "pm2 status");
        foreach (var t in cli.Timings)
        {
            var verdict = t.Name == pm2.Name ? "" : t.MeanMs <= CliTargetMs ? "**pass**" : $"**fail** ({t.MeanMs - CliTargetMs:0} ms over)";
            md.AppendLine(Inv, $"| {t.Name} | {Ms(t.MeanMs)} ± {Ms(t.StdDevMs)} | {Ms(t.MedianMs)} | {Ms(t.MinMs)} | {Ms(t.UserMs + t.SystemMs)} | {(t.Name == pm2.Name ? "1" : (t.MeanMs / pm2.MeanMs).ToString("0.00", Inv))} | {verdict} |");
        }
        return md.ToString();
    }

    private static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms < 10 ? ms.ToString("0.0", Inv) + " ms" : ms.ToString("0", Inv) + " ms";
}

/// <summary>One deploy's time split by phase, from the record's own stamps.</summary>
internal static class Breakdown
{
    public static readonly (string Key, string Label)[] Names =
    [
        ("accept", "`StartDeploy` call returns (client)"),
        ("to-starting", "planned + artifact distributed to the agents (created → starting)"),
        ("starting", "starting: launch → every instance ready → first push (incl. readiness)"),
        ("readiness", "…of which the app's own readiness (slowest instance)"),
        ("starting-overhead", "…starting minus readiness"),
        ("step1-ack", "step 1 (10 %): push → every data plane ACKed"),
        ("step1-gap", "step 1: ACK + pause → step 2 pushed (minus the pause)"),
        ("step2-ack", "step 2 (50 %): push → ACKed"),
        ("step2-gap", "step 2: ACK + pause → step 3 pushed (minus the pause)"),
        ("step3-ack", "step 3 (100 %): push → ACKed"),
        ("draining", "draining: last ACK → old release idle per load reports (retiring)"),
        ("retiring", "retiring → succeeded"),
        ("notify", "succeeded → seen by the watching client"),
        ("total", "total (client)"),
    ];

    public static Dictionary<string, double> Of(DeployRun run)
    {
        var d = run.Final;
        var result = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["accept"] = run.StartCallMs,
            ["readiness"] = run.ReadinessMs,
            ["total"] = run.TotalMs,
        };
        var created = d.CreatedAt.ToDateTimeOffset();
        var receipts = d.Receipt.OrderBy(r => r.Index).ToList();
        if (run.PhaseSeenAt.TryGetValue(DeployPhase.Starting, out var starting))
        {
            result["to-starting"] = (starting - created).TotalMilliseconds;
            if (receipts.Count > 0)
            {
                result["starting"] = (receipts[0].AppliedAt.ToDateTimeOffset() - starting).TotalMilliseconds;
                result["starting-overhead"] = result["starting"] - run.ReadinessMs;
            }
        }
        for (var i = 0; i < receipts.Count; i++)
        {
            var applied = receipts[i].AppliedAt.ToDateTimeOffset();
            var acked = receipts[i].AckedAt.ToDateTimeOffset();
            result[$"step{i + 1}-ack"] = (acked - applied).TotalMilliseconds;
            if (i + 1 < receipts.Count)
                result[$"step{i + 1}-gap"] = (receipts[i + 1].AppliedAt.ToDateTimeOffset() - acked).TotalMilliseconds - DeployScenario.StepPausesMs[i];
        }
        if (receipts.Count > 0 && run.PhaseSeenAt.TryGetValue(DeployPhase.Retiring, out var retiring))
        {
            result["draining"] = (retiring - receipts[^1].AckedAt.ToDateTimeOffset()).TotalMilliseconds;
            result["retiring"] = (d.FinishedAt.ToDateTimeOffset() - retiring).TotalMilliseconds;
        }
        result["notify"] = (run.ClientSucceededAt - d.FinishedAt.ToDateTimeOffset()).TotalMilliseconds;
        return result;
    }
}
