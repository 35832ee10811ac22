namespace Baton.Bench.Deploy;

/// <summary>Where the programs under test are: each as the file to run plus the arguments before its own.</summary>
internal sealed record BenchPaths(
    string Repo,
    (string File, string[] Args) Agent,
    (string File, string[] Args) Server,
    string BatonDll,
    string? BatonPublished,
    string? BatonNativeAot,
    string Pm2Dir)
{
    public string Conformance => Path.Combine(Repo, "tests", "conformance");

    /// <summary>`dotnet x.dll` for a managed build, the file itself for an apphost or native executable.</summary>
    public static (string File, string[] Args) Command(string path) =>
        path.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [path]) : (path, []);
}
