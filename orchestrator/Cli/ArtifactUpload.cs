using System.Security.Cryptography;
using Baton.Orchestrator.Deploys;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Cli;

/// <summary>Streams a release artifact to the orchestrator: the header (with the file's sha256 and size), then 1 MiB chunks.</summary>
public static class ArtifactUpload
{
    public const int ChunkSize = 1024 * 1024;

    private static readonly string[] ArchiveExtensions = [".tar.gz", ".tgz", ".tar"];

    /// <summary>
    /// The version a file name implies when --version is not given: the extension goes, then the
    /// app's name and a dash ("web-v2.tar.gz" for app web → "v2", "web-1.4.0.tgz" → "1.4.0"),
    /// else whatever follows the last dash ("build-v7.tar.gz" → "v7"). Null when that is no valid name.
    /// </summary>
    public static string? VersionFromFileName(string app, string path)
    {
        var name = Path.GetFileName(path);
        foreach (var extension in ArchiveExtensions)
        {
            if (!name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) continue;
            name = name[..^extension.Length];
            break;
        }
        string candidate;
        if (name.StartsWith(app + "-", StringComparison.Ordinal)) candidate = name[(app.Length + 1)..];
        else if (name.LastIndexOf('-') is var dash and >= 0) candidate = name[(dash + 1)..];
        else return null;
        return NameValidator.IsValid(candidate) ? candidate : null;
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    public static async Task<UploadArtifactResponse> UploadAsync(
        Protos.Orchestrator.V1.Orchestrator.OrchestratorClient client, string app, string version, string path, CancellationToken cancellationToken)
    {
        // Hashed before sending so the header can carry it: the server checks what arrived against it.
        var sha256 = await Sha256Async(path, cancellationToken);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        using var call = client.UploadArtifact(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new UploadArtifactRequest
        {
            Header = new ArtifactHeader { App = app, Version = version, Sha256 = sha256, Size = (ulong)file.Length },
        }, cancellationToken);
        var buffer = new byte[ChunkSize];
        while (true)
        {
            var read = await file.ReadAtLeastAsync(buffer, ChunkSize, throwOnEndOfStream: false, cancellationToken);
            if (read == 0) break;
            await call.RequestStream.WriteAsync(new UploadArtifactRequest { Chunk = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        }
        await call.RequestStream.CompleteAsync();
        return await call;
    }
}
