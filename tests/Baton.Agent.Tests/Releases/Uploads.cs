using System.Security.Cryptography;
using Baton.Protos.Agent.V1;
using Google.Protobuf;

namespace Baton.Agent.Tests.Releases;

/// <summary>Builds the message streams a client would send to UploadRelease.</summary>
internal static class Uploads
{
    public static string Sha256Of(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static ReleaseHeader Header(string app, string version, byte[] artifact) =>
        new() { App = app, Version = version, Sha256 = Sha256Of(artifact), Size = (ulong)artifact.Length };

    public static UploadReleaseRequest HeaderMessage(ReleaseHeader header) => new() { Header = header };

    public static UploadReleaseRequest Chunk(byte[] data, int offset, int length) =>
        new() { Chunk = ByteString.CopyFrom(data, offset, length) };

    public static IEnumerable<UploadReleaseRequest> Chunks(byte[] data, int chunkSize)
    {
        for (var offset = 0; offset < data.Length; offset += chunkSize)
            yield return Chunk(data, offset, Math.Min(chunkSize, data.Length - offset));
    }

    public static IAsyncEnumerable<UploadReleaseRequest> Of(ReleaseHeader header, byte[] data, int chunkSize = 1000) =>
        Chunks(data, chunkSize).Prepend(HeaderMessage(header)).ToAsyncEnumerable();

    public static IAsyncEnumerable<UploadReleaseRequest> Of(string app, string version, byte[] artifact) =>
        Of(Header(app, version, artifact), artifact);

    public static IAsyncEnumerable<UploadReleaseRequest> Messages(params UploadReleaseRequest[] messages) =>
        messages.ToAsyncEnumerable();

    /// <summary>Sends the header and the first chunk, then waits for <paramref name="gate"/> before the rest.</summary>
    public static async IAsyncEnumerable<UploadReleaseRequest> Gated(ReleaseHeader header, byte[] data, Task gate)
    {
        yield return HeaderMessage(header);
        var half = data.Length / 2;
        yield return Chunk(data, 0, half);
        await gate;
        yield return Chunk(data, half, data.Length - half);
    }
}
