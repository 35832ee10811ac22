using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Store;

public sealed partial class SqliteStore
{
    private const string ArtifactColumns = "app, version, sha256, size, path, created_at";

    public async Task<ArtifactWriteResult> SaveArtifactAsync(string app, string version, Stream content, string? expectedSha256, CancellationToken cancellationToken = default)
    {
        RequireName(app, "app");
        RequireName(version, "version");
        ArgumentNullException.ThrowIfNull(content);
        // Refuse before reading a possibly large stream for an app that does not exist.
        if (await GetAppAsync(app, cancellationToken) is null)
            throw new RpcException(new Status(StatusCode.NotFound, $"app {app} does not exist; apply its spec first"));

        // Receive outside the write gate: a slow upload must not hold up deploys.
        var received = await _artifacts.ReceiveAsync(app, version, content, cancellationToken);
        string? renamedTo = null;
        var recorded = false;
        try
        {
            if (expectedSha256 is not null && !string.Equals(expectedSha256, received.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"artifact {app}/{version}: sha256 is {received.Sha256}, but {expectedSha256} was announced; the upload was damaged or the wrong file was sent"));

            var result = await WriteAsync(async (connection, transaction) =>
            {
                if (await ReadArtifactAsync(connection, transaction, app, version, cancellationToken) is { } existing)
                {
                    if (existing.Sha256 == received.Sha256) return new ArtifactWriteResult(existing, AlreadyPresent: true);
                    throw new RpcException(new Status(StatusCode.AlreadyExists,
                        $"artifact {app}/{version} already exists with a different sha256 ({existing.Sha256}); give the new build a new version"));
                }
                var now = NowMs();
                var relative = ArtifactFiles.RelativePath(app, version);
                await Execute(connection, transaction,
                    $"INSERT INTO artifacts ({ArtifactColumns}) VALUES ($app, $version, $sha256, $size, $path, $now);",
                    cancellationToken, ("$app", app), ("$version", version), ("$sha256", received.Sha256), ("$size", received.Size), ("$path", relative), ("$now", now));
                // Renamed last, under the gate: if the commit that follows fails, the finally
                // below removes the file again, so no file is left that no row points to.
                renamedTo = _artifacts.AbsolutePath(_artifacts.Commit(received, app, version));
                return new ArtifactWriteResult(
                    new ArtifactRecord(app, version, received.Sha256, received.Size, _artifacts.AbsolutePath(relative), FromMs(now)),
                    AlreadyPresent: false);
            }, cancellationToken);
            recorded = true;
            return result;
        }
        finally
        {
            File.Delete(received.TemporaryPath);
            if (renamedTo is not null && !recorded) File.Delete(renamedTo);
        }
    }

    public Task<ArtifactRecord?> GetArtifactAsync(string app, string version, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, transaction) => ReadArtifactAsync(connection, transaction, app, version, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<ArtifactRecord>> ListArtifactsAsync(string app, CancellationToken cancellationToken = default) =>
        ReadAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction,
                $"SELECT {ArtifactColumns} FROM artifacts WHERE app = $app ORDER BY created_at, version;", ("$app", app));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var artifacts = new List<ArtifactRecord>();
            while (await reader.ReadAsync(cancellationToken)) artifacts.Add(ReadArtifact(reader));
            return (IReadOnlyList<ArtifactRecord>)artifacts;
        }, cancellationToken);

    public async Task<bool> DeleteArtifactAsync(string app, string version, CancellationToken cancellationToken = default)
    {
        RequireName(app, "app");
        RequireName(version, "version");
        var deleted = await WriteAsync(async (connection, transaction) =>
        {
            await using (var command = Command(connection, transaction,
                "SELECT 1 FROM desired_releases WHERE app = $app AND version = $version;", ("$app", app), ("$version", version)))
            {
                if (await command.ExecuteScalarAsync(cancellationToken) is not null)
                    throw new RpcException(new Status(StatusCode.FailedPrecondition,
                        $"artifact {app}/{version} belongs to a release that should be running; retire the release first"));
            }
            return await ReadArtifactAsync(connection, transaction, app, version, cancellationToken) is { } existing
                && await Execute(connection, transaction, "DELETE FROM artifacts WHERE app = $app AND version = $version;",
                    cancellationToken, ("$app", app), ("$version", version)) > 0
                    ? existing
                    : null;
        }, cancellationToken);
        if (deleted is null) return false;
        File.Delete(deleted.Path);
        return true;
    }

    private async Task<ArtifactRecord?> ReadArtifactAsync(SqliteConnection connection, SqliteTransaction transaction, string app, string version, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            $"SELECT {ArtifactColumns} FROM artifacts WHERE app = $app AND version = $version;", ("$app", app), ("$version", version));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadArtifact(reader) : null;
    }

    private ArtifactRecord ReadArtifact(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetInt64(3),
        _artifacts.AbsolutePath(reader.GetString(4)),
        FromMs(reader.GetInt64(5)));
}
