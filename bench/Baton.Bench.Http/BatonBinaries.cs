namespace Baton.Bench.Http;

/// <summary>The published programs under test, each as the file to run plus the arguments before its own.</summary>
internal sealed record BatonBinaries((string File, string[] Args) Baton, (string File, string[] Args) Agent, (string File, string[] Args) Proxy)
{
    public static BatonBinaries From(string baton, string agent, string proxy) => new(Command(baton), Command(agent), Command(proxy));

    /// <summary>`dotnet x.dll` for a framework-dependent build, the file itself for an apphost or NativeAOT executable.</summary>
    private static (string File, string[] Args) Command(string path) =>
        path.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [path]) : (path, []);
}
