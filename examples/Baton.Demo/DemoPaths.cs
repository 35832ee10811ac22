namespace Baton.Demo;

/// <summary>Where the demo finds the built Baton and the example app, and where it works.</summary>
internal sealed class DemoPaths
{
    private DemoPaths(string repoRoot, string configuration, string workDir)
    {
        RepoRoot = repoRoot;
        WorkDir = workDir;
        AgentDll = Path.Combine(repoRoot, "agent", "bin", configuration, "net10.0", "baton-agent.dll");
        BatonDll = Path.Combine(repoRoot, "orchestrator", "bin", configuration, "net10.0", "baton.dll");
        ProxyDll = Path.Combine(repoRoot, "proxy", "Host", "bin", configuration, "net10.0", "baton-proxy.dll");
        HelloDir = Path.Combine(repoRoot, "examples", "hello");
        KeptLogsDir = Path.Combine(repoRoot, "artifacts", "demo-logs");
    }

    public string RepoRoot { get; }
    public string AgentDll { get; }
    public string BatonDll { get; }
    public string ProxyDll { get; }

    /// <summary>The quickstart app: v1/ and v2/ (each packed flat as a release) and hello.yaml.</summary>
    public string HelloDir { get; }
    public string HelloSpec => Path.Combine(HelloDir, "hello.yaml");

    /// <summary>Everything the run writes: data dirs, logs, artifacts. Removed at the end.</summary>
    public string WorkDir { get; }
    public string AgentDataDir => Path.Combine(WorkDir, "agent");
    public string ServerDataDir => Path.Combine(WorkDir, "server");
    public string LogDir => Path.Combine(WorkDir, "logs");

    /// <summary>Where the logs are copied when the demo fails, since the work dir goes.</summary>
    public string KeptLogsDir { get; }

    /// <summary>
    /// The repository is found above this program (examples/Baton.Demo/bin/CONFIG/net10.0), and Baton's
    /// binaries are taken from the same configuration the demo was built in.
    /// </summary>
    public static DemoPaths Locate(string? workDir)
    {
        var binDir = new DirectoryInfo(AppContext.BaseDirectory);
        var repo = binDir;
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "Grpc.sln"))) repo = repo.Parent;
        if (repo is null) throw new DemoFailedException($"no Grpc.sln above {binDir.FullName}: run the demo from the Baton repository (dotnet cake --target=Demo)");
        var configuration = binDir.Parent?.Parent?.Name is "bin" ? binDir.Parent.Name : "Release";
        var work = workDir is null
            ? Directory.CreateTempSubdirectory("baton-demo-").FullName
            : Directory.CreateDirectory(Path.GetFullPath(workDir)).FullName;
        var paths = new DemoPaths(repo.FullName, configuration, work);
        Directory.CreateDirectory(paths.LogDir);
        return paths;
    }

    /// <summary>Fails with the command that fixes it when a prerequisite is missing.</summary>
    public void CheckPrerequisites()
    {
        foreach (var dll in new[] { AgentDll, BatonDll, ProxyDll })
            if (!File.Exists(dll)) throw new DemoFailedException($"{dll} is missing: build first (dotnet cake --target=Demo builds, then runs the demo)");
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (!path.Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "node"))))
            throw new DemoFailedException("node is not on PATH: the example app is a Node.js server (apt-get install nodejs)");
    }
}
