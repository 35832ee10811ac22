using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Baton.Orchestrator.Tests.Fleet.Support;

/// <summary>A release artifact as `baton deploy` ships it: a tar.gz holding testapp.js at its root.</summary>
internal static class TestArtifact
{
    /// <summary>Writes the artifact to <paramref name="path"/>, padded with incompressible bytes when asked; returns its sha256.</summary>
    public static string Write(string path, int paddingBytes = 0)
    {
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
        {
            tar.WriteEntry(RealAgent.TestAppPath, "testapp.js");
            if (paddingBytes > 0)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "padding.bin") { DataStream = new MemoryStream(RandomNumberGenerator.GetBytes(paddingBytes)) });
        }
        using var read = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(read));
    }
}
