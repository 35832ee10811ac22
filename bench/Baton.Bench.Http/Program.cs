using System.Diagnostics;
using Baton.Bench.Http;

// Issue 5's HTTP benchmark: examples/hello switched v1 → v2 under load (hey, or the bench's own
// keep-alive client that never retries: NoRetryLoad) by PM2 (cluster reload) and by Baton (deploy
// through baton-proxy), and baton-proxy's overhead over hitting an instance directly. Usage in BenchOptions; figures to docs/benchmarks.md.
var repo = RepoRoot();
BenchOptions options;
try
{
    options = BenchOptions.Parse(args, repo);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
if (Hey.Find() is null)
{
    Console.Error.WriteLine(Hey.InstallHint);
    return 2;
}
var pm2Dir = Path.Combine(repo, "bench", "pm2");
if (!Directory.Exists(Path.Combine(pm2Dir, "node_modules", "pm2")))
{
    Console.Error.WriteLine($"PM2 is not installed: run `npm ci` in {pm2Dir}");
    return 2;
}
if (options.MissingPrograms().ToList() is { Count: > 0 } missing)
{
    Console.Error.WriteLine($"not found: {string.Join(", ", missing)} — run `dotnet cake --target=Publish` (or pass --baton/--agent/--proxy; `--only pm2` needs none)");
    return 2;
}

// The whole run is bounded: on the budget, Ctrl+C or SIGTERM every await is cancelled and every
// process the bench started (PM2 daemon and workers, server, agent, apps, proxy, hey) is killed on the way out.
using var cancel = new RunBudget(options.Budget);

var clock = Stopwatch.StartNew();
var machine = Machine.Describe();
var batonMeasured = options.Sides != Sides.Pm2;
var binaries = BatonBinaries.From(options.Baton, options.Agent, options.Proxy);
var specYaml = File.ReadAllText(Path.Combine(repo, "examples", "hello", "hello.yaml"));
Console.WriteLine($"sides: {(batonMeasured ? "PM2 and Baton" : "PM2 only")}; load {machine.LoadAverage}");
try
{
    using var releases = HelloReleases.Prepare(repo);
    var switches = new List<SwitchResult>();
    foreach (var scenario in options.Sides == Sides.ProxyOverhead ? Array.Empty<SwitchScenario>() : SwitchScenario.All)
    {
        switches.Add(await Pm2Side.RunAsync(scenario, pm2Dir, releases, cancel.Token));
        if (batonMeasured) switches.Add(await BatonSide.RunAsync(scenario, binaries, specYaml, releases, cancel.Token));
    }
    Console.WriteLine("proxy overhead ...");
    var overhead = batonMeasured
        ? await ProxyOverhead.RunWithProxyAsync(binaries, specYaml, releases, cancel.Token)
        : await ProxyOverhead.RunDirectOnlyAsync(releases, cancel.Token);

    var heyVersion = (await CommandLine.RunAsync("dpkg-query", ["-W", "-f", "${Version}", "hey"], TimeSpan.FromSeconds(10), cancel.Token)) is { ExitCode: 0 } dpkg ? dpkg.Output.Trim() : "(version unknown)";
    var loadAfter = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
    var markdown = new HttpBenchReport(switches, overhead, machine, Pm2Hello.Version(pm2Dir), heyVersion, string.Join(' ', args), batonMeasured, loadAfter, clock.Elapsed).ToMarkdown();
    Console.WriteLine();
    Console.WriteLine(markdown);
    if (options.WriteDocs)
    {
        var docs = Path.Combine(repo, "docs", "benchmarks.md");
        BenchmarksDoc.ReplaceSection(docs, HttpBenchReport.SectionHeading, markdown);
        Console.WriteLine($"written to {docs}");
    }
    return 0;
}
catch (OperationCanceledException) when (cancel.Token.IsCancellationRequested)
{
    Console.Error.WriteLine($"bench stopped after {clock.Elapsed.TotalSeconds:0} s (budget {options.Budget.TotalSeconds:0} s, or interrupted); processes cleaned up");
    return 1;
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.Text.Json.JsonException or FormatException)
{
    // A broken run is not a figure: say why and exit non-zero (the `await using`s above have stopped every process by now).
    Console.Error.WriteLine($"bench failed after {clock.Elapsed.TotalSeconds:0} s: {e.Message}");
    return 1;
}

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Grpc.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("run from inside the Baton repository (no Grpc.sln above the bench)");
}
