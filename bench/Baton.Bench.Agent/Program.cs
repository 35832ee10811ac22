using System.Globalization;
using Baton.Bench.Agent;

// Issue 2's agent benchmark. Usage (from anywhere in the repo):
//   dotnet run -c Release --project bench/Baton.Bench.Agent -- [--agent PATH] [--instances N] [--no-docs]
// --agent: the published agent (default artifacts/publish/baton-agent/baton-agent, as `dotnet cake --target=Publish` leaves it).
var repo = RepoRoot();
var agentPath = Path.Combine(repo, "artifacts", "publish", "baton-agent", "baton-agent");
var settings = new BenchSettings();
var writeDocs = true;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--agent": agentPath = Path.GetFullPath(args[++i]); break;
        case "--instances": settings = settings with { Instances = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--no-docs": writeDocs = false; break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}
if (!File.Exists(agentPath))
{
    Console.Error.WriteLine($"no agent at {agentPath}: run `dotnet cake --target=Publish` first, or pass --agent PATH");
    return 2;
}
var appDir = Path.Combine(repo, "bench", "apps");
var pm2Dir = Path.Combine(repo, "bench", "pm2");
if (!Directory.Exists(Path.Combine(pm2Dir, "node_modules", "pm2")))
{
    Console.Error.WriteLine($"PM2 is not installed: run `npm ci` in {pm2Dir}");
    return 2;
}
var node = ExecutableOnPath("node") ?? throw new InvalidOperationException("node is not on PATH");

// Ctrl+C cancels the run; every scenario cleans up its processes on the way out.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

Console.WriteLine($"agent: {agentPath}; {settings.Instances} instances; probe interval {settings.ProbeInterval.TotalMilliseconds} ms");
// Described before the run, so the load average is the one the run started under.
var machine = Machine.Describe();
Console.WriteLine("bare posix_spawn baseline ...");
var bare = await BareSpawn.RunAsync(node, appDir, settings.Instances, Ports.Sequence(settings.BareFirstPort), settings.ProbeInterval, cancel.Token);
Console.WriteLine("baton-agent ...");
var baton = await BatonScenario.RunAsync(agentPath, appDir, settings, cancel.Token);
Console.WriteLine("PM2 ...");
var pm2 = await Pm2Scenario.RunAsync(pm2Dir, appDir, settings, cancel.Token);

var report = new BenchReport(settings, bare, baton, pm2, machine, string.Join(' ', args));
var markdown = report.ToMarkdown();
Console.WriteLine();
Console.WriteLine(markdown);
if (writeDocs)
{
    var docs = Path.Combine(repo, "docs", "benchmarks.md");
    BenchmarksDoc.ReplaceSection(docs, BenchReport.SectionHeading, markdown);
    Console.WriteLine($"written to {docs}");
}
return 0;

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Grpc.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("run from inside the Baton repository (no Grpc.sln above the bench)");
}

static string? ExecutableOnPath(string name) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, name))
        .FirstOrDefault(File.Exists);
