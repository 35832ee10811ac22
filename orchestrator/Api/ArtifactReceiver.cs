using Baton.Orchestrator.Store;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Api;

/// <summary>
/// Takes an UploadArtifact stream (header, then chunks) into a temporary file under the data dir
/// and hands it to the store, which checks the stated sha256 and keeps it. Nothing stays behind
/// when the stream is malformed or the checksum is wrong.
/// </summary>
public sealed class ArtifactReceiver(IBatonStore store, string dataDir)
{
    public const int MaxChunkBytes = 4 * 1024 * 1024;
    public const long MaxArtifactBytes = 2L * 1024 * 1024 * 1024;

    public async Task<UploadArtifactResponse> ReceiveAsync(IAsyncStreamReader<UploadArtifactRequest> requests, CancellationToken ct)
    {
        if (!await requests.MoveNext(ct) || requests.Current.PartCase != UploadArtifactRequest.PartOneofCase.Header)
            throw Invalid("the first UploadArtifact message must be the header (app, version, sha256, size)");
        var header = requests.Current.Header;
        NameValidator.Require(header.App, "app");
        NameValidator.Require(header.Version, "version");
        if (header.Sha256.Length != 64 || !header.Sha256.All(Uri.IsHexDigit))
            throw Invalid($"sha256 \"{header.Sha256}\" is not 64 hex digits");
        if (header.Size > MaxArtifactBytes) throw Invalid($"artifact of {header.Size} bytes is larger than the {MaxArtifactBytes} allowed");
        if (await store.GetAppAsync(header.App, ct) is null)
            throw new RpcException(new Status(StatusCode.NotFound, $"no app {header.App}: apply its spec before uploading artifacts"));

        var temp = Path.Combine(dataDir, "tmp");
        Directory.CreateDirectory(temp);
        var path = Path.Combine(temp, $"upload-{Guid.NewGuid():n}.tar.gz");
        try
        {
            long received = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                while (await requests.MoveNext(ct))
                {
                    if (requests.Current.PartCase != UploadArtifactRequest.PartOneofCase.Chunk)
                        throw Invalid("only chunks may follow the header");
                    var chunk = requests.Current.Chunk;
                    if (chunk.Length > MaxChunkBytes) throw Invalid($"chunk of {chunk.Length} bytes exceeds the {MaxChunkBytes} allowed");
                    received += chunk.Length;
                    if ((ulong)received > header.Size) throw Invalid($"more bytes than the {header.Size} the header stated");
                    await file.WriteAsync(chunk.Memory, ct);
                }
            }
            if ((ulong)received != header.Size) throw Invalid($"received {received} bytes, the header stated {header.Size}");
            await using var content = File.OpenRead(path);
            var result = await store.SaveArtifactAsync(header.App, header.Version, content, header.Sha256.ToLowerInvariant(), ct);
            return new UploadArtifactResponse
            {
                App = header.App,
                Version = header.Version,
                Sha256 = result.Artifact.Sha256,
                AlreadyPresent = result.AlreadyPresent,
            };
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
