using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Store;

/// <summary>
/// <see cref="IBatonStore"/> on SQLite: one database file in the data dir (WAL, so reads never
/// wait for a write), artifacts' bytes as files beside it. The schema is brought up to date when
/// the store opens. Writes are serialized by one gate within this process and each runs in an
/// IMMEDIATE transaction, so a read-check-write sequence (one deploy per app, revision checks)
/// cannot interleave with another; reads run in their own snapshot transaction.
/// </summary>
public sealed partial class SqliteStore : IBatonStore
{
    public const string DatabaseFileName = "baton.db";

    private readonly string _connectionString;
    private readonly ArtifactFiles _artifacts;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _disposed;

    private SqliteStore(string dataDir, string connectionString, TimeProvider time)
    {
        DataDir = dataDir;
        _connectionString = connectionString;
        _artifacts = new ArtifactFiles(dataDir);
        _time = time;
    }

    public string DataDir { get; }

    /// <summary>Opens (creating when needed) the store in <paramref name="dataDir"/> and applies pending migrations.</summary>
    /// <exception cref="InvalidOperationException">When the database was written by a newer Baton (a schema version this one does not know).</exception>
    public static Task<SqliteStore> OpenAsync(string dataDir, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(dataDir, StoreMigrations.All, time, cancellationToken);

    /// <summary>Opens with a given migration list; tests use it to prove that upgrades apply only what is new.</summary>
    internal static async Task<SqliteStore> OpenAsync(string dataDir, IReadOnlyList<StoreMigration> migrations, TimeProvider? time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        var fullDataDir = Path.GetFullPath(dataDir);
        Directory.CreateDirectory(fullDataDir);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(fullDataDir, DatabaseFileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();

        var store = new SqliteStore(fullDataDir, connectionString, time ?? TimeProvider.System);
        try
        {
            await using (var connection = await store.OpenConnectionAsync(cancellationToken))
            {
                // WAL is a property of the file: set once, it stays.
                await Execute(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
                await StoreMigrator.MigrateAsync(connection, migrations, store.NowMs(), cancellationToken);
            }
            store._artifacts.RemoveLeftovers();
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>The schema version the database is at.</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await StoreMigrator.CurrentVersionAsync(connection, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        // Release pooled connections so the files are closed when the store is.
        await using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        _writeGate.Dispose();
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // FULL: a committed deploy step survives a power cut, not only a process crash.
            await Execute(connection, null, "PRAGMA synchronous=FULL;", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in an IMMEDIATE transaction, one writer at a time; commits when it returns.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in a read transaction, so several queries see one consistent snapshot.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        return await work(connection, transaction);
    }

    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    internal static async Task<int> Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void RequireName(string? value, string what)
    {
        if (!Validation.NameValidator.IsValid(value))
            throw new ArgumentException($"{what} {Validation.NameValidator.Show(value)} is not a valid name: {Validation.NameValidator.Rule}", what);
    }
}
