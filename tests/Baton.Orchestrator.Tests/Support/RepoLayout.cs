namespace Baton.Orchestrator.Tests.Support;

/// <summary>Where the repository and the other projects' build output are, seen from this test assembly.</summary>
internal static class RepoLayout
{
    /// <summary>The folder holding Grpc.sln, above tests/Baton.Orchestrator.Tests/bin/CONFIG/net10.0.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A program built by another project of the solution, in the configuration this test was built in.</summary>
    public static string BuiltDll(string projectDirectory, string dllName)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(Root, projectDirectory, "bin", configuration, "net10.0", dllName);
        Assert.True(File.Exists(dll), $"{dll} is missing: build Grpc.sln (this test project builds it first)");
        return dll;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Grpc.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no Grpc.sln above {AppContext.BaseDirectory}");
    }
}
