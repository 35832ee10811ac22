// Every task a person runs: `dotnet tool restore` once, then `dotnet cake --target=<Task>`.
using System.Xml.Linq;

var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var testFilter = Argument("filter", "");
var artifacts = MakeAbsolute(Directory("./artifacts"));
var solution = "./Grpc.sln";

Task("Clean")
    .Does(() => CleanDirectory(artifacts));

Task("Restore")
    .Does(() =>
{
    DotNetRestore(solution);
    foreach (var lockFile in GetFiles("./tests/**/package-lock.json").Where(f => !f.FullPath.Contains("/node_modules/")))
    {
        var dir = lockFile.GetDirectory();
        // npm ci wipes node_modules every time; skip it while the lockfile is the one last installed.
        var lockHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.IO.File.ReadAllBytes(lockFile.FullPath)));
        var stamp = dir.CombineWithFilePath("node_modules/.baton-lock-sha256").FullPath;
        if (System.IO.File.Exists(stamp) && System.IO.File.ReadAllText(stamp) == lockHash)
        {
            Information($"npm packages in {dir} match package-lock.json");
            continue;
        }
        Information($"npm ci in {dir}");
        var exit = StartProcess("npm", new ProcessSettings { Arguments = "ci --no-audit --no-fund", WorkingDirectory = dir });
        if (exit != 0) throw new Exception($"npm ci failed in {dir} (exit {exit})");
        System.IO.File.WriteAllText(stamp, lockHash);
    }
});

Task("Build")
    .IsDependentOn("Restore")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration, NoRestore = true });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    var results = artifacts.Combine("test-results");
    CleanDirectory(results);
    var failedRun = false;
    try
    {
        DotNetTest(solution, new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            NoRestore = true,
            Filter = string.IsNullOrEmpty(testFilter) ? null : testFilter,
            Loggers = new[] { "trx", "console;verbosity=normal" },
            ResultsDirectory = results,
        });
    }
    catch (Exception e)
    {
        failedRun = true;
        Warning($"dotnet test reported failure: {e.Message}");
    }

    // The one line CI reads, computed from the TRX files the runs wrote.
    int passed = 0, failed = 0, skipped = 0;
    foreach (var trx in GetFiles(results.FullPath + "/**/*.trx"))
    {
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        foreach (var r in XDocument.Load(trx.FullPath).Descendants(ns + "UnitTestResult"))
        {
            switch ((string?)r.Attribute("outcome"))
            {
                case "Passed": passed++; break;
                case "NotExecuted": skipped++; break;
                default: failed++; break;
            }
        }
    }
    if (failedRun && failed == 0) failed = 1; // a crashed test host wrote no result for what it was running
    // Plain Console, not Information(): Cake colours formatted arguments, and CI reads the raw line.
    Console.WriteLine($"Tests: {passed} passed, {failed} failed, {skipped} skipped");
    if (failed > 0) throw new Exception($"{failed} test(s) failed");
    if (passed == 0) throw new Exception("no test ran");
});

// The README's demo: a real deploy with traffic flowing, on loopback, with the embedded defaults.
// Build first (baton, baton-agent, baton-proxy and the demo itself); the example app is plain Node
// with no packages. The demo prints its own progress and exits non-zero on failure.
Task("Demo")
    .IsDependentOn("Build")
    .Does(() =>
{
    var demo = MakeAbsolute(File($"./examples/Baton.Demo/bin/{configuration}/net10.0/Baton.Demo.dll"));
    var exit = StartProcess("dotnet", new ProcessSettings { Arguments = new ProcessArgumentBuilder().AppendQuoted(demo.FullPath) });
    if (exit != 0) throw new Exception($"the demo failed (exit code {exit}); its output above says why");
});

var publishDir = artifacts.Combine("publish");

// NativeAOT needs a C toolchain (clang) and zlib's headers; without them baton-agent and baton-proxy are
// published framework-dependent and baton ReadyToRun instead, and the task says so, rather than failing a
// newcomer's first Publish or Bench.
bool CanPublishNativeAot()
{
    var hasClang = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => System.IO.File.Exists(System.IO.Path.Combine(d, "clang")));
    var hasZlib = System.IO.File.Exists("/usr/include/zlib.h");
    if (!hasClang || !hasZlib)
        Warning("clang or zlib1g-dev missing (apt-get install -y clang zlib1g-dev): publishing baton-agent and baton-proxy framework-dependent (JIT) and baton ReadyToRun, not NativeAOT; each `baton` CLI call then costs ~250 ms instead of ~25 ms, and the Bench figures are not those of the shipped builds");
    return hasClang && hasZlib;
}

Task("Publish")
    .IsDependentOn("Build")
    .Does(() =>
{
    var nativeAot = CanPublishNativeAot();
    var settings = new DotNetPublishSettings
    {
        Configuration = configuration,
        OutputDirectory = publishDir.Combine("baton-agent"),
        // NativeAOT compiles for one platform: this machine's.
        Runtime = nativeAot ? System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier : null,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("PublishAot", nativeAot ? "true" : "false"),
    };
    CleanDirectory(settings.OutputDirectory);
    DotNetPublish("./agent/Baton.Agent.csproj", settings);

    // `baton` ships as a NativeAOT executable for this machine's platform: a client command's fixed
    // cost is mostly start-up JIT otherwise. Without clang, a framework-dependent ReadyToRun build
    // (the csproj turns ReadyToRun on for a runtime identifier when PublishAot is off).
    var batonSettings = new DotNetPublishSettings
    {
        Configuration = configuration,
        OutputDirectory = publishDir.Combine("baton"),
        Runtime = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("PublishAot", nativeAot ? "true" : "false"),
    };
    CleanDirectory(batonSettings.OutputDirectory);
    DotNetPublish("./orchestrator/Baton.Orchestrator.csproj", batonSettings);

    // `baton-proxy`, the built-in data plane, published like the agent (a per-host process whose
    // memory counts): NativeAOT where Cake can, framework-dependent otherwise.
    var proxySettings = new DotNetPublishSettings
    {
        Configuration = configuration,
        OutputDirectory = publishDir.Combine("baton-proxy"),
        Runtime = nativeAot ? System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier : null,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("PublishAot", nativeAot ? "true" : "false"),
    };
    CleanDirectory(proxySettings.OutputDirectory);
    DotNetPublish("./proxy/Host/Baton.Proxy.Host.csproj", proxySettings);
});

bool OnPath(string program) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => System.IO.File.Exists(System.IO.Path.Combine(d, program)));

Task("Bench")
    .IsDependentOn("Publish")
    .Does(() =>
{
    // PM2, pinned in bench/pm2/package-lock.json, is the baseline of the agent, deploy and HTTP benchmarks.
    var exit = StartProcess("npm", new ProcessSettings { Arguments = "ci --no-audit --no-fund", WorkingDirectory = "./bench/pm2" });
    if (exit != 0) throw new Exception($"npm ci failed in bench/pm2 (exit {exit})");

    var agentBench = MakeAbsolute(File("./bench/Baton.Bench.Agent/Baton.Bench.Agent.csproj"));
    DotNetRun(agentBench.FullPath, new DotNetRunSettings
    {
        Configuration = "Release",
        NoRestore = true,
        ArgumentCustomization = args => args.Append("--").Append("--agent").AppendQuoted(publishDir.Combine("baton-agent").CombineWithFilePath("baton-agent").FullPath),
    });
    // Issue 4's deploy + CLI bench: the published agent and baton, PM2 from bench/pm2, the
    // grpc-js-xds client from tests/conformance (npm ci there). It bounds itself (--budget-seconds)
    // and kills everything it started, also on failure; the timeout here is the last resort.
    var conformanceExit = StartProcess("npm", new ProcessSettings { Arguments = "ci --no-audit --no-fund", WorkingDirectory = "./tests/conformance" });
    if (conformanceExit != 0) throw new Exception($"npm ci failed in tests/conformance (exit {conformanceExit})");
    var deployBench = MakeAbsolute(File("./bench/Baton.Bench.Deploy/Baton.Bench.Deploy.csproj"));
    var agentPublished = publishDir.Combine("baton-agent").CombineWithFilePath("baton-agent");
    var deployBenchArgs = new ProcessArgumentBuilder()
        .Append("run").Append("-c").Append(configuration).Append("--no-build").Append("--project").AppendQuoted(deployBench.FullPath).Append("--")
        .Append("--agent").AppendQuoted(System.IO.File.Exists(agentPublished.FullPath) ? agentPublished.FullPath : publishDir.Combine("baton-agent").CombineWithFilePath("baton-agent.dll").FullPath)
        .Append("--baton").AppendQuoted(publishDir.Combine("baton").CombineWithFilePath("baton").FullPath)
        .Append("--budget-seconds").Append("270");
    var deployBenchExit = StartProcess("dotnet", new ProcessSettings { Arguments = deployBenchArgs, Timeout = 330_000 });
    if (deployBenchExit != 0) throw new Exception($"Baton.Bench.Deploy failed (exit {deployBenchExit})");

    // Issue 5's HTTP bench: hello v1 → v2 under load, PM2 cluster reload vs Baton through baton-proxy.
    // Its load generator is Debian's `hey` (the keep-alive scenarios use the bench's own client, which
    // never retries): installed here when missing and Cake runs as root (as .ci/run installs its
    // packages), else the bench itself says how to install it.
    if (!OnPath("hey") && Environment.UserName == "root")
    {
        Information("installing hey (apt-get install -y hey) for bench/Baton.Bench.Http");
        if (StartProcess("apt-get", new ProcessSettings { Arguments = "update -qq" }) != 0
            || StartProcess("apt-get", new ProcessSettings { Arguments = "install -y -qq hey", EnvironmentVariables = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" } }) != 0)
            throw new Exception("apt-get install -y hey failed");
    }
    var httpBench = MakeAbsolute(File("./bench/Baton.Bench.Http/Baton.Bench.Http.csproj"));
    var httpBenchArgs = new ProcessArgumentBuilder()
        .Append("run").Append("-c").Append(configuration).Append("--project").AppendQuoted(httpBench.FullPath).Append("--")
        .Append("--baton").AppendQuoted(publishDir.Combine("baton").CombineWithFilePath("baton").FullPath)
        .Append("--agent").AppendQuoted(System.IO.File.Exists(agentPublished.FullPath) ? agentPublished.FullPath : publishDir.Combine("baton-agent").CombineWithFilePath("baton-agent.dll").FullPath)
        .Append("--proxy").AppendQuoted(publishDir.Combine("baton-proxy").CombineWithFilePath("baton-proxy").FullPath)
        .Append("--budget-seconds").Append("300");
    // The bench bounds itself and kills everything it started; the timeout here is the last resort.
    var httpBenchExit = StartProcess("dotnet", new ProcessSettings { Arguments = httpBenchArgs, Timeout = 420_000 });
    if (httpBenchExit != 0) throw new Exception($"Baton.Bench.Http failed (exit {httpBenchExit})");

    foreach (var project in GetFiles("./bench/**/*.csproj").Where(p => p.FullPath != agentBench.FullPath && p.FullPath != deployBench.FullPath && p.FullPath != httpBench.FullPath))
    {
        DotNetRun(project.FullPath, new DotNetRunSettings { Configuration = "Release", NoRestore = true, NoBuild = false });
    }
});

RunTarget(target);
