using System.Globalization;
using System.Text;

namespace Baton.Bench.Agent;

/// <summary>Turns one run's measurements into the "Agent (issue 2)" section of docs/benchmarks.md.</summary>
internal sealed class BenchReport(
    BenchSettings settings,
    BareSpawn.Result bare,
    BatonScenario.Result baton,
    Pm2Scenario.Result pm2,
    Machine machine,
    string arguments)
{
    public const string SectionHeading = "## Agent (issue 2)";
    private const double IdleRssTargetMb = 30;
    private const double LaunchOverBareTargetMs = 10;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string ToMarkdown()
    {
        var bareSpawn = Distribution.Of(bare.SpawnMs);
        var bareListening = Distribution.Of(bare.SpawnToListeningMs);
        var batonRunning = Distribution.Of(baton.LaunchToRunningMs);
        var batonReady = Distribution.Of(baton.LaunchToReadyMs);
        var batonStop = Distribution.Of(baton.StopMs);
        var pm2Running = Distribution.Of(pm2.LaunchToRunningMs);
        var pm2Ready = Distribution.Of(pm2.LaunchToReadyMs);
        var pm2Stop = Distribution.Of(pm2.StopMs);
        var n = settings.Instances;
        var interval = settings.ProbeInterval.TotalMilliseconds;

        // Figures where both sides measured the same thing; lower is better for every one.
        var compared = new (string Name, double Baton, double Pm2, string Unit)[]
        {
            ("launch → running, median", batonRunning.MedianMs, pm2Running.MedianMs, "ms"),
            ("launch → running, p99", batonRunning.P99Ms, pm2Running.P99Ms, "ms"),
            ("launch → ready, median", batonReady.MedianMs, pm2Ready.MedianMs, "ms"),
            ("launch → ready, p99", batonReady.P99Ms, pm2Ready.P99Ms, "ms"),
            ("graceful stop, median", batonStop.MedianMs, pm2Stop.MedianMs, "ms"),
            ("graceful stop, p99", batonStop.P99Ms, pm2Stop.P99Ms, "ms"),
            ("supervisor RSS, idle", Mb(baton.IdleRssBytes), Mb(pm2.IdleRssBytes), "MB"),
            ($"supervisor RSS, {n} instances running", Mb(baton.LoadedRssBytes), Mb(pm2.LoadedRssBytes), "MB"),
        };

        var md = new StringBuilder();
        md.AppendLine(SectionHeading);
        md.AppendLine();
        md.AppendLine(Inv, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {machine.Cores} cores ({machine.CpuModel}), {machine.MemoryGiB:0.0} GiB RAM, Linux {machine.Kernel}; .NET {machine.DotNet} (bench), Node {machine.Node}, PM2 {pm2.Pm2Version}; load average at the start {machine.LoadAverage} (the machine is shared).");
        md.AppendLine();
        md.AppendLine("Command: `dotnet tool restore && dotnet cake --target=Bench` (publishes the agent to `artifacts/publish/baton-agent`, runs `npm ci` in `bench/pm2`, then");
        md.AppendLine(Inv, $"`dotnet run -c Release --project bench/Baton.Bench.Agent{(arguments.Length > 0 ? " -- " + arguments : "")}`). Agent measured: `{Path.GetFileName(baton.AgentCommand)}`{(baton.AgentCommand.EndsWith(".dll", StringComparison.Ordinal) ? " run by `dotnet` (JIT)" : " (NativeAOT executable)")}.");
        md.AppendLine();
        md.AppendLine("What each side does, one instance after another (the next starts once the previous is ready), with the same app (`bench/apps/app.js`, a Node HTTP server on `$PORT`):");
        md.AppendLine();
        md.AppendLine("- **bare posix_spawn**: the bench itself posix_spawns `node app.js` in a new session (no supervisor); \"running\" is posix_spawn returning the pid, \"ready\" the port accepting a TCP connect, polled every " + interval.ToString(Inv) + " ms.");
        md.AppendLine(Inv, $"- **Baton**: a fresh agent, the app uploaded with `UploadRelease`; one `Launch` RPC per instance (TCP readiness probe every {interval} ms). \"running\" = the Launch reply with the pid; \"ready\" = the READY event on a `WatchEvents` stream; stop = one `Stop` RPC per instance (SIGTERM, the app exits at once).");
        md.AppendLine(Inv, $"- **PM2**: its own `PM2_HOME` in a temp dir; `bench/pm2/driver.js` calls the programmatic API (`pm2.connect`, then `pm2.start({{script, exec_mode: 'fork', instances: 1, env: {{PORT}}}})` per instance, `pm2.stop(name)` per instance). \"running\" = the `pm2.start` callback (PM2 has forked the app); \"ready\" = the port accepting a TCP connect, polled every {interval} ms after that callback (PM2 has no readiness probe); stop = the `pm2.stop` callback (SIGINT, the app exits at once).");
        md.AppendLine(Inv, $"- RSS: VmRSS of the agent process / the PM2 daemon (God), {settings.Settle.TotalSeconds} s after start-up, before anything was asked of it (idle), and {settings.Settle.TotalSeconds} s after the last instance got ready. The apps' own memory is not counted on either side.");
        md.AppendLine();
        md.AppendLine(Inv, $"| figure ({n} instances) | bare posix_spawn | Baton | PM2 | Baton / PM2 |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        md.AppendLine(Inv, $"| launch → running, median | {Ms(bareSpawn.MedianMs)} | {Ms(batonRunning.MedianMs)} | {Ms(pm2Running.MedianMs)} | {Ratio(batonRunning.MedianMs, pm2Running.MedianMs)} |");
        md.AppendLine(Inv, $"| launch → running, p99 | {Ms(bareSpawn.P99Ms)} | {Ms(batonRunning.P99Ms)} | {Ms(pm2Running.P99Ms)} | {Ratio(batonRunning.P99Ms, pm2Running.P99Ms)} |");
        md.AppendLine(Inv, $"| agent-side spawn (`baton_agent_spawn_seconds`: mean; p50 / p99 bucket bounds) | | {Ms(baton.Spawn.MeanMs)} (p50 ≤ {Ms(baton.Spawn.PercentileUpperBoundMs(50))}, p99 ≤ {Ms(baton.Spawn.PercentileUpperBoundMs(99))}) | | |");
        md.AppendLine(Inv, $"| launch → ready, median | {Ms(bareListening.MedianMs)} | {Ms(batonReady.MedianMs)} | {Ms(pm2Ready.MedianMs)} | {Ratio(batonReady.MedianMs, pm2Ready.MedianMs)} |");
        md.AppendLine(Inv, $"| launch → ready, p99 | {Ms(bareListening.P99Ms)} | {Ms(batonReady.P99Ms)} | {Ms(pm2Ready.P99Ms)} | {Ratio(batonReady.P99Ms, pm2Ready.P99Ms)} |");
        md.AppendLine(Inv, $"| graceful stop, median | | {Ms(batonStop.MedianMs)} | {Ms(pm2Stop.MedianMs)} | {Ratio(batonStop.MedianMs, pm2Stop.MedianMs)} |");
        md.AppendLine(Inv, $"| graceful stop, p99 | | {Ms(batonStop.P99Ms)} | {Ms(pm2Stop.P99Ms)} | {Ratio(batonStop.P99Ms, pm2Stop.P99Ms)} |");
        md.AppendLine(Inv, $"| supervisor RSS, idle | | {Mb(baton.IdleRssBytes):0.0} MB | {Mb(pm2.IdleRssBytes):0.0} MB | {Ratio(baton.IdleRssBytes, pm2.IdleRssBytes)} |");
        md.AppendLine(Inv, $"| supervisor RSS, {n} instances running | | {Mb(baton.LoadedRssBytes):0.0} MB | {Mb(pm2.LoadedRssBytes):0.0} MB | {Ratio(baton.LoadedRssBytes, pm2.LoadedRssBytes)} |");
        md.AppendLine();
        md.AppendLine(Inv, $"PM2's daemon took {Ms(pm2.DaemonStartMs)} to start (`pm2.connect`); not in the table, as the agent's own start-up is not either.");
        md.AppendLine();

        md.AppendLine("Targets:");
        md.AppendLine();
        md.AppendLine("| target | result |");
        md.AppendLine("|---|---|");
        var idleMb = Mb(baton.IdleRssBytes);
        md.AppendLine(idleMb <= IdleRssTargetMb
            ? string.Create(Inv, $"| agent idle RSS ≤ {IdleRssTargetMb} MB | **pass**: {idleMb:0.0} MB |")
            : string.Create(Inv, $"| agent idle RSS ≤ {IdleRssTargetMb} MB | **fail**: {idleMb:0.0} MB, {idleMb - IdleRssTargetMb:0.0} MB over |"));
        var overBare = batonRunning.MedianMs - bareSpawn.MedianMs;
        var overBareP99 = batonRunning.P99Ms - bareSpawn.P99Ms;
        md.AppendLine(overBare <= LaunchOverBareTargetMs
            ? string.Create(Inv, $"| launch → running within {LaunchOverBareTargetMs} ms of bare fork/exec (medians) | **pass**: +{overBare:0.00} ms (p99: +{overBareP99:0.00} ms) |")
            : string.Create(Inv, $"| launch → running within {LaunchOverBareTargetMs} ms of bare fork/exec (medians) | **fail**: +{overBare:0.00} ms, {overBare - LaunchOverBareTargetMs:0.00} ms over (p99: +{overBareP99:0.00} ms) |"));
        var worse = compared.Where(c => c.Baton > c.Pm2).ToList();
        md.AppendLine(worse.Count == 0
            ? "| no figure worse than PM2's | **pass**: every figure above is at or below PM2's |"
            : "| no figure worse than PM2's | **fail**: " + string.Join("; ", worse.Select(w => string.Create(Inv, $"{w.Name} {w.Baton:0.0} {w.Unit} vs {w.Pm2:0.0} {w.Unit} (×{w.Baton / w.Pm2:0.00})"))) + " |");
        return md.ToString();
    }

    private static double Mb(long bytes) => bytes / 1024.0 / 1024.0;

    private static string Ms(double ms) => ms < 10 ? ms.ToString("0.00", Inv) + " ms" : ms.ToString("0.0", Inv) + " ms";

    private static string Ratio(double baton, double pm2) => pm2 <= 0 ? "–" : (baton / pm2).ToString("0.00", Inv);
}
