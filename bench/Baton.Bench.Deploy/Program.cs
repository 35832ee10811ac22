using System.Diagnostics;
using System.Globalization;
using Baton.Bench.Deploy;

// Issue 4's deploy-engine and CLI benchmark. Usage (from anywhere in the repo):
//   dotnet run -c Release --project bench/Baton.Bench.Deploy -- [--agent PATH] [--baton PATH] [--baton-r2r PATH]
//       [--deploys-1 N] [--deploys-10 N] [--budget-seconds S] [--no-docs]
// --agent: baton-agent (default artifacts/publish/baton-agent/baton-agent, else agent/bin/Release/net10.0/baton-agent.dll)
// --baton: the published baton, what ships (default artifacts/publish/baton/baton, skipped if absent): NativeAOT,
//          or ReadyToRun where `dotnet cake --target=Publish` had no clang (told apart by the baton.dll beside it)
// --baton-r2r: a ReadyToRun baton to compare with, timed too when given (default artifacts/publish/baton-r2r/baton
//          if present; `dotnet publish orchestrator -c Release -r linux-x64 -p:PublishAot=false -o artifacts/publish/baton-r2r`)
var repo = RepoRoot();
string? agentArg = null, batonArg = null, batonR2rArg = null;
var deploysOne = 5;
var deploysTen = 4;
var budget = TimeSpan.FromSeconds(280);
var writeDocs = true;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--agent": agentArg = Path.GetFullPath(args[++i]); break;
        case "--baton": batonArg = Path.GetFullPath(args[++i]); break;
        case "--baton-r2r": batonR2rArg = Path.GetFullPath(args[++i]); break;
        case "--deploys-1": deploysOne = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--deploys-10": deploysTen = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--budget-seconds": budget = TimeSpan.FromSeconds(int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
        case "--no-docs": writeDocs = false; break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

string? FirstExisting(params string?[] candidates) => candidates.FirstOrDefault(File.Exists);
var agent = agentArg ?? FirstExisting(
    Path.Combine(repo, "artifacts", "publish", "baton-agent", "baton-agent"),
    Path.Combine(repo, "artifacts", "publish", "baton-agent", "baton-agent.dll"),
    Path.Combine(repo, "agent", "bin", "Release", "net10.0", "baton-agent.dll"));
var batonDll = Path.Combine(repo, "orchestrator", "bin", "Release", "net10.0", "baton.dll");
var published = batonArg ?? FirstExisting(Path.Combine(repo, "artifacts", "publish", "baton", "baton"));
var readyToRun = batonR2rArg ?? FirstExisting(Path.Combine(repo, "artifacts", "publish", "baton-r2r", "baton"));
if (agent is null || !File.Exists(agent) || !File.Exists(batonDll))
{
    Console.Error.WriteLine("build first: `dotnet build -c Release` (or `dotnet cake --target=Publish`); no baton-agent or orchestrator/bin/Release/net10.0/baton.dll");
    return 2;
}
var pm2Dir = Path.Combine(repo, "bench", "pm2");
var conformance = Path.Combine(repo, "tests", "conformance");
foreach (var (dir, module) in new[] { (pm2Dir, "pm2"), (conformance, "@grpc/grpc-js-xds") })
{
    if (Directory.Exists(Path.Combine(dir, "node_modules", module))) continue;
    Console.Error.WriteLine($"{module} is not installed: run `npm ci` in {dir}");
    return 2;
}
var paths = new BenchPaths(repo, BenchPaths.Command(agent), BenchPaths.Command(batonDll), batonDll, published, readyToRun, pm2Dir);

// The whole run is bounded: on the budget, Ctrl+C or SIGTERM every await is cancelled and every
// process the bench started (agents, their apps, server, xDS client, PM2) is killed on the way out.
using var cancel = new RunBudget(budget);

var clock = Stopwatch.StartNew();
var machine = Machine.Describe();
Console.WriteLine($"agent: {agent}; server: dotnet {batonDll}; published baton: {published ?? "(none)"} ({(published is null ? "-" : BenchPaths.Kind(published))}); ReadyToRun baton to compare: {readyToRun ?? "(none)"}; load {machine.LoadAverage}");
try
{
    await using var cluster = await BenchCluster.StartAsync(paths, agentCount: 2, cancel.Token);
    var series = new List<DeploySeries>();
    Console.WriteLine($"deploys of 1 instance ({deploysOne} measured) ...");
    series.Add(await DeployScenario.RunAsync(cluster, paths, "echo-one", 1, deploysOne, cancel.Token));
    Console.WriteLine($"deploys of 10 instances ({deploysTen} measured) ...");
    series.Add(await DeployScenario.RunAsync(cluster, paths, "echo-ten", 10, deploysTen, cancel.Token));
    var loadAfterDeploys = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
    Console.WriteLine("CLI: baton status vs pm2 status ...");
    var cli = await CliScenario.RunAsync(paths, cluster.ApiAddress, "echo-ten", cancel.Token);

    var agentDescription = agent.EndsWith(".dll", StringComparison.Ordinal) ? "`dotnet baton-agent.dll`, JIT" : "`baton-agent`, NativeAOT";
    var markdown = new BenchReport(series, cli, machine, loadAfterDeploys, string.Join(' ', args), agentDescription, clock.Elapsed).ToMarkdown();
    Console.WriteLine();
    Console.WriteLine(markdown);
    if (writeDocs)
    {
        var docs = Path.Combine(repo, "docs", "benchmarks.md");
        BenchmarksDoc.ReplaceSection(docs, BenchReport.SectionHeading, markdown);
        Console.WriteLine($"written to {docs}");
    }
    return 0;
}
catch (OperationCanceledException) when (cancel.Token.IsCancellationRequested)
{
    Console.Error.WriteLine($"bench stopped after {clock.Elapsed.TotalSeconds:0} s (budget {budget.TotalSeconds:0} s, or interrupted); processes cleaned up");
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
