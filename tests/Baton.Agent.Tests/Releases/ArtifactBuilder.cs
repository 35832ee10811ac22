using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Baton.Agent.Tests.Releases;

/// <summary>Writes real tar.gz artifacts, including hostile ones, with System.Formats.Tar.</summary>
internal sealed class ArtifactBuilder
{
    public const UnixFileMode Regular = (UnixFileMode)0b110_100_100;      // 0644
    public const UnixFileMode Executable = (UnixFileMode)0b111_101_101;   // 0755

    private readonly List<TarEntry> _entries = [];

    public ArtifactBuilder File(string name, string content, UnixFileMode mode = Regular) =>
        File(name, Encoding.UTF8.GetBytes(content), mode);

    public ArtifactBuilder File(string name, byte[] content, UnixFileMode mode = Regular)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = new MemoryStream(content) };
        return Add(entry);
    }

    public ArtifactBuilder Folder(string name, UnixFileMode mode = Executable) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode });

    public ArtifactBuilder Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    public ArtifactBuilder HardLink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public ArtifactBuilder Special(TarEntryType type, string name) => Add(new PaxTarEntry(type, name));

    public ArtifactBuilder Add(TarEntry entry)
    {
        _entries.Add(entry);
        return this;
    }

    public byte[] Build()
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in _entries)
            {
                entry.DataStream?.Seek(0, SeekOrigin.Begin);
                tar.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }

    public static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(content);
        return output.ToArray();
    }

    /// <summary>A small valid artifact whose content differs with <paramref name="marker"/>.</summary>
    public static byte[] Simple(string marker = "v1") =>
        new ArtifactBuilder().File("bin/app", "#!/bin/sh\necho " + marker + "\n", Executable).File("README", marker).Build();
}
