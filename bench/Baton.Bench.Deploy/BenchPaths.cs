namespace Baton.Bench.Deploy;

/// <summary>Where the programs under test are: each as the file to run plus the arguments before its own.</summary>
internal sealed record BenchPaths(
    string Repo,
    (string File, string[] Args) Agent,
    (string File, string[] Args) Server,
    string BatonDll,
    string? BatonPublished,
    string? BatonReadyToRun,
    string Pm2Dir)
{
    public string Conformance => Path.Combine(Repo, "tests", "conformance");

    /// <summary>`dotnet x.dll` for a managed build, the file itself for an apphost or native executable.</summary>
    public static (string File, string[] Args) Command(string path) =>
        path.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [path]) : (path, []);

    /// <summary>
    /// How a published `baton` was built: a framework-dependent (ReadyToRun) publish has its baton.dll beside
    /// the apphost; a NativeAOT one is the executable alone.
    /// </summary>
    public static string Kind(string published) =>
        File.Exists(Path.Combine(Path.GetDirectoryName(published)!, "baton.dll")) ? "ReadyToRun" : "NativeAOT";
}
