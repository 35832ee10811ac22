namespace Baton.Bench.Shared;

/// <summary>docs/benchmarks.md, where each benchmark owns one "## " section and rewrites it on every run.</summary>
internal static class BenchmarksDoc
{
    private const string NewFile = "# Benchmarks\n\nFigures measured by the programs under `bench/`; each section says how to reproduce it.\n";

    /// <summary>Replaces the section from <paramref name="heading"/> up to the next "## " heading, or appends it; the hand-written sections stay as they are.</summary>
    public static void ReplaceSection(string path, string heading, string section)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : NewFile;
        var start = existing.IndexOf(heading + "\n", StringComparison.Ordinal);
        string updated;
        if (start < 0)
        {
            updated = existing.TrimEnd() + "\n\n" + section;
        }
        else
        {
            var next = existing.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
            var rest = next < 0 ? "" : existing[(next + 1)..];
            updated = existing[..start] + section.TrimEnd() + "\n" + (rest.Length > 0 ? "\n" + rest : "");
        }
        File.WriteAllText(path, updated.TrimEnd() + "\n");
    }
}
