using System.Security.Cryptography;

namespace Baton.Orchestrator.Store;

/// <summary>
/// Where artifacts' bytes live: <c>&lt;data dir&gt;/artifacts/&lt;app&gt;/&lt;version&gt;.tar.gz</c>.
/// Names are validated before they reach here, so they cannot climb out of the folder.
/// Writes go to a temporary file in the same folder, are flushed to disk, then renamed over the
/// final name, so a reader never sees a partial artifact under its real name.
/// </summary>
internal sealed class ArtifactFiles(string dataDir)
{
    public const string FolderName = "artifacts";
    private const string TemporarySuffix = ".tmp";

    public string Root { get; } = Path.Combine(dataDir, FolderName);

    /// <summary>Path relative to the data dir, as stored in the database.</summary>
    public static string RelativePath(string app, string version) => Path.Combine(FolderName, app, version + ".tar.gz");

    public string AbsolutePath(string relativePath) => Path.Combine(dataDir, relativePath);

    public string AppFolder(string app) => Path.Combine(Root, app);

    /// <summary>Copies <paramref name="content"/> to a new temporary file next to the final one, hashing as it goes.</summary>
    public async Task<ReceivedFile> ReceiveAsync(string app, string version, Stream content, CancellationToken cancellationToken)
    {
        var folder = AppFolder(app);
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{version}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    size += read;
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            return new ReceivedFile(temporary, Convert.ToHexStringLower(hash.GetHashAndReset()), size);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Renames a received file to its final name, replacing any leftover of an earlier, unrecorded write.</summary>
    public string Commit(ReceivedFile received, string app, string version)
    {
        var relative = RelativePath(app, version);
        File.Move(received.TemporaryPath, AbsolutePath(relative), overwrite: true);
        return relative;
    }

    /// <summary>Removes temporary files left by writes that a crash cut short.</summary>
    public void RemoveLeftovers()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var leftover in Directory.EnumerateFiles(Root, "*" + TemporarySuffix, SearchOption.AllDirectories))
            File.Delete(leftover);
    }
}
