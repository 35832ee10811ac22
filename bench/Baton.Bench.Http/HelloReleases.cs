using System.Formats.Tar;
using System.IO.Compression;

namespace Baton.Bench.Http;

/// <summary>
/// The quickstart app's releases, copied from examples/hello into a temp dir: v1, v2, and a broken
/// v2 (v2's code, built to exit 1 at start — what HELLO_CRASH_ON_START=1 does). The broken flag is
/// written into the release's code, not the environment, so PM2 and Baton deploy the same files.
/// Each release also exists as the flat tar.gz `baton deploy --artifact` uploads.
/// </summary>
internal sealed class HelloReleases : IDisposable
{
    private HelloReleases(string root) => Root = root;

    public string Root { get; }

    public string V1 => Path.Combine(Root, "v1");
    public string V2 => Path.Combine(Root, "v2");
    public string BrokenV2 => Path.Combine(Root, "v2-broken");

    /// <summary>The artifact for a release folder: named hello-v1/hello-v2 so `baton deploy` reads the version from it.</summary>
    public static string Artifact(string release) => Path.Combine(release + "-artifact", Path.GetFileName(release) == "v1" ? "hello-v1.tar.gz" : "hello-v2.tar.gz");

    public static HelloReleases Prepare(string repo)
    {
        var releases = new HelloReleases(Directory.CreateTempSubdirectory("baton-bench-hello-").FullName);
        var examples = Path.Combine(repo, "examples", "hello");
        CopyRelease(Path.Combine(examples, "v1"), releases.V1);
        CopyRelease(Path.Combine(examples, "v2"), releases.V2);
        CopyRelease(Path.Combine(examples, "v2"), releases.BrokenV2);
        var server = Path.Combine(releases.BrokenV2, "server.js");
        var code = File.ReadAllText(server);
        const string strict = "'use strict';\n";
        if (!code.Contains(strict, StringComparison.Ordinal)) throw new InvalidOperationException($"{server}: no 'use strict' line to put the crash after");
        File.WriteAllText(server, code.Replace(strict, strict + "process.env.HELLO_CRASH_ON_START = '1'; // the benchmark's broken v2\n", StringComparison.Ordinal));
        foreach (var release in new[] { releases.V1, releases.V2, releases.BrokenV2 }) Pack(release);
        return releases;
    }

    private static void CopyRelease(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    private static void Pack(string release)
    {
        var artifact = Artifact(release);
        Directory.CreateDirectory(Path.GetDirectoryName(artifact)!);
        using var file = File.Create(artifact);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var path in Directory.GetFiles(release).Order(StringComparer.Ordinal)) tar.WriteEntry(path, Path.GetFileName(path));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a file still open by a dying app: left for the OS's temp cleanup
        }
    }
}
