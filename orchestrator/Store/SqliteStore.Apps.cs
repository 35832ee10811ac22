using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Store;

public sealed partial class SqliteStore
{
    private const string AppColumns = "name, spec, source, generation, updated_at";

    public Task<AppWriteResult> PutAppAsync(AppSpec spec, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(source);
        RequireName(spec.Name, "app");
        return WriteAsync(async (connection, transaction) =>
        {
            var now = NowMs();
            var existing = await ReadAppAsync(connection, transaction, spec.Name, cancellationToken);
            if (existing is null)
            {
                await Execute(connection, transaction,
                    "INSERT INTO apps (name, spec, source, generation, created_at, updated_at) VALUES ($name, $spec, $source, 1, $now, $now);",
                    cancellationToken, ("$name", spec.Name), ("$spec", spec.ToByteArray()), ("$source", source), ("$now", now));
                return new AppWriteResult(AppOf(spec, source, 1, now), AppWriteOutcome.Created);
            }
            if (existing.Spec.Equals(spec)) return new AppWriteResult(existing, AppWriteOutcome.Unchanged);

            var generation = existing.Generation + 1;
            await Execute(connection, transaction,
                "UPDATE apps SET spec = $spec, source = $source, generation = $generation, updated_at = $now WHERE name = $name;",
                cancellationToken, ("$name", spec.Name), ("$spec", spec.ToByteArray()), ("$source", source), ("$generation", (long)generation), ("$now", now));
            return new AppWriteResult(AppOf(spec, source, generation, now), AppWriteOutcome.Updated);
        }, cancellationToken);
    }

    public Task<App?> GetAppAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, transaction) => ReadAppAsync(connection, transaction, name, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<App>> ListAppsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, $"SELECT {AppColumns} FROM apps ORDER BY name;");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var apps = new List<App>();
            while (await reader.ReadAsync(cancellationToken)) apps.Add(ReadApp(reader));
            return (IReadOnlyList<App>)apps;
        }, cancellationToken);

    public async Task<bool> DeleteAppAsync(string name, CancellationToken cancellationToken = default)
    {
        RequireName(name, "app");
        var deleted = await WriteAsync(async (connection, transaction) =>
        {
            if (await ReadActiveDeployAsync(connection, transaction, name, cancellationToken) is { } running)
                throw new DeployConflictException(running);
            // Deploys, desired state and artifact rows go with the app (ON DELETE CASCADE).
            return await Execute(connection, transaction, "DELETE FROM apps WHERE name = $name;", cancellationToken, ("$name", name)) > 0;
        }, cancellationToken);

        // The rows are gone for good; the files follow. A crash in between leaves files no row
        // points to, which the next upload of that version overwrites.
        var folder = _artifacts.AppFolder(name);
        if (deleted && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return deleted;
    }

    private static async Task<App?> ReadAppAsync(SqliteConnection connection, SqliteTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {AppColumns} FROM apps WHERE name = $name;", ("$name", name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadApp(reader) : null;
    }

    private static App ReadApp(SqliteDataReader reader) =>
        AppOf(AppSpec.Parser.ParseFrom((byte[])reader["spec"]), reader.GetString(2), (ulong)reader.GetInt64(3), reader.GetInt64(4));

    private static App AppOf(AppSpec spec, string source, ulong generation, long updatedAtMs) => new()
    {
        Spec = spec.Clone(),
        Source = source,
        Generation = generation,
        UpdatedAt = Timestamp.FromDateTimeOffset(FromMs(updatedAtMs)),
    };
}
