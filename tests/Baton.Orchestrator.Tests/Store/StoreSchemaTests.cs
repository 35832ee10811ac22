using Baton.Orchestrator.Store;
using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Tests.Store;

public sealed class StoreSchemaTests
{
    [Fact]
    public async Task An_empty_data_dir_gets_the_whole_schema_in_wal_mode()
    {
        await using var fixture = await StoreFixture.OpenAsync();

        Assert.Equal(StoreMigrations.All.Count, await fixture.Store.GetSchemaVersionAsync());
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(fixture.DataDir, SqliteStore.DatabaseFileName)};Pooling=False");
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var command = new SqliteCommand("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        Assert.Equal(["agents", "apps", "artifacts", "deploy_controls", "deploys", "desired_instances", "desired_releases", "desired_state", "schema_version"], tables);
        await using var mode = new SqliteCommand("PRAGMA journal_mode;", connection);
        Assert.Equal("wal", await mode.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Reopening_applies_only_the_migrations_that_are_new()
    {
        var dir = Directory.CreateTempSubdirectory("baton-store-").FullName;
        try
        {
            var first = StoreMigrations.All;
            StoreMigration[] second = [.. first, new(first.Count + 1, "notes", "CREATE TABLE notes (text TEXT NOT NULL) STRICT;")];

            await using (var store = await SqliteStore.OpenAsync(dir, first, null, CancellationToken.None))
            {
                await store.PutAppAsync(StoreFixture.Spec(), "yaml");
            }
            await using (var store = await SqliteStore.OpenAsync(dir, second, null, CancellationToken.None))
            {
                Assert.Equal(first.Count + 1, await store.GetSchemaVersionAsync());
                Assert.NotNull(await store.GetAppAsync("web"));
            }
            // Opening again runs nothing twice (a second CREATE TABLE notes would fail).
            await using (var store = await SqliteStore.OpenAsync(dir, second, null, CancellationToken.None))
            {
                Assert.Equal(first.Count + 1, await store.GetSchemaVersionAsync());
            }
            // An older baton refuses a newer schema instead of misreading it.
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteStore.OpenAsync(dir, first, null, CancellationToken.None));
            Assert.Contains($"the store's schema is at version {first.Count + 1}", refused.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Migrations_must_be_numbered_without_gaps()
    {
        var dir = Directory.CreateTempSubdirectory("baton-store-").FullName;
        try
        {
            await Assert.ThrowsAsync<ArgumentException>(() =>
                SqliteStore.OpenAsync(dir, [new StoreMigration(2, "skips one", "SELECT 1;")], null, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
