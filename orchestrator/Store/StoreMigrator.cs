using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Store;

/// <summary>
/// Brings a database to the newest schema: each pending migration runs in the same transaction
/// as the schema_version row recording it, so a crash mid-upgrade leaves the previous version intact.
/// </summary>
internal static class StoreMigrator
{
    private const string CreateVersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at  INTEGER NOT NULL
        ) STRICT;
        """;

    public static async Task MigrateAsync(SqliteConnection connection, IReadOnlyList<StoreMigration> migrations, long nowMs, CancellationToken cancellationToken)
    {
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new ArgumentException($"migration {i + 1} is numbered {migrations[i].Version}; migrations must be numbered 1, 2, 3, … without gaps", nameof(migrations));
        }

        await using var transaction = connection.BeginTransaction(deferred: false);
        await SqliteStore.Execute(connection, transaction, CreateVersionTable, cancellationToken);
        var current = await CurrentVersionAsync(connection, transaction, cancellationToken);
        if (current > migrations.Count)
            throw new InvalidOperationException(
                $"the store's schema is at version {current}, newer than the {migrations.Count} this baton knows; run a newer baton or restore a backup");

        foreach (var migration in migrations.Skip(current))
        {
            await SqliteStore.Execute(connection, transaction, migration.Sql, cancellationToken);
            await SqliteStore.Execute(connection, transaction,
                "INSERT INTO schema_version (version, description, applied_at) VALUES ($version, $description, $at);",
                cancellationToken, ("$version", migration.Version), ("$description", migration.Description), ("$at", nowMs));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public static Task<int> CurrentVersionAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        CurrentVersionAsync(connection, null, cancellationToken);

    private static async Task<int> CurrentVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = SqliteStore.Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version;");
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
