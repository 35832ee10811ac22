namespace Baton.Protos.Tests.Conformance;

/// <summary>Finds the repository from wherever the test host runs (bin/, a CI clone, an IDE).</summary>
internal static class RepoPaths
{
    private const string Marker = "Grpc.sln";

    public static string Root { get; } = FindRoot();

    public static string Conformance => Path.Combine(Root, "tests", "conformance");

    public static string Protos => Path.Combine(Root, "protos");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, Marker)) && Directory.Exists(Path.Combine(dir.FullName, "protos")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException(
            $"Could not find the repository root (a folder holding {Marker} and protos/) above {AppContext.BaseDirectory}.");
    }
}
