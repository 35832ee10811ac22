using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// A release packed flat from a folder, as `tar -czf app-v2.tar.gz -C examples/hello/v2 .` packs it,
/// optionally with environment variables baked into that one release.
/// </summary>
internal static class FolderArtifact
{
    /// <summary>What the folder's entry script is renamed to when a wrapper sets the environment first.</summary>
    public const string WrappedEntry = "release-entry.js";

    /// <summary>
    /// Packs <paramref name="folder"/> into <paramref name="path"/>. With <paramref name="environment"/>,
    /// the entry script <paramref name="entry"/> becomes <see cref="WrappedEntry"/> and a new entry sets
    /// the variables before requiring it: the spec's `env` applies to every release, while a test's bad
    /// v2 (crashing, never ready, failing) must not make v1 bad too.
    /// </summary>
    public static void Pack(string folder, string path, string entry = "server.js", IReadOnlyDictionary<string, string>? environment = null)
    {
        if (!File.Exists(Path.Combine(folder, entry))) throw new FileNotFoundException($"no {entry} in {folder}");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip);
        foreach (var source in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(source);
            tar.WriteEntry(source, environment is not null && name == entry ? WrappedEntry : name);
        }
        if (environment is not null)
        {
            var wrapper = $"""
                // Packed by the end-to-end tests: this release runs with these variables set.
                Object.assign(process.env, {JsonSerializer.Serialize(environment)});
                require('./{WrappedEntry}');

                """;
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entry) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(wrapper)) });
        }
    }

    /// <summary>The properties of an anonymous object (<c>new { HELLO_FAIL_RATE = "0.3" }</c>) as variables.</summary>
    public static IReadOnlyDictionary<string, string> Environment(object variables) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(JsonSerializer.Serialize(variables))
        ?? throw new ArgumentException($"not a set of variables: {variables}", nameof(variables));
}
