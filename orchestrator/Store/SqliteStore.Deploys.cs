using Baton.Orchestrator.Deploys;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Store;

public sealed partial class SqliteStore
{
    public Task<DeployWriteResult> StartDeployAsync(Deploy deploy, DesiredState desired, CancellationToken cancellationToken = default) =>
        StartDeployAsync(deploy, desired, control: null, cancellationToken);

    public Task<DeployWriteResult> StartDeployAsync(Deploy deploy, DesiredState desired, DeployControl? control, CancellationToken cancellationToken = default)
    {
        DeployRecordRules.RequireValid(deploy);
        DesiredStateRules.RequireValid(desired);
        if (desired.App != deploy.App) throw new ArgumentException($"the desired state is for {desired.App}, the deploy for {deploy.App}", nameof(desired));
        if (desired.DeployId != deploy.Id)
            throw new ArgumentException($"the desired state a deploy starts with must name it (deploy_id {deploy.Id}, not {desired.DeployId ?? "none"})", nameof(desired));

        return WriteAsync(async (connection, transaction) =>
        {
            if (await ReadAppAsync(connection, transaction, deploy.App, cancellationToken) is null)
                throw new RpcException(new Status(StatusCode.NotFound, $"app {deploy.App} does not exist"));
            if (await ReadActiveDeployAsync(connection, transaction, deploy.App, cancellationToken) is { } running)
                throw new DeployConflictException(running);
            if (await ReadDeployAsync(connection, transaction, deploy.Id, cancellationToken) is not null)
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"a deploy with id {deploy.Id} already exists"));

            var now = NowMs();
            var record = Stamp(deploy, createdAt: deploy.CreatedAt ?? Timestamp.FromDateTimeOffset(FromMs(now)), now);
            await Execute(connection, transaction, """
                INSERT INTO deploys (id, app, kind, from_version, to_version, phase, step, record, created_at, updated_at, finished_at)
                VALUES ($id, $app, $kind, $from, $to, $phase, $step, $record, $created, $now, $finished);
                """, cancellationToken, DeployParameters(record, now));
            await WriteControlAsync(connection, transaction, deploy.Id, control, cancellationToken);
            var stored = await WriteDesiredAsync(connection, transaction, desired, now, cancellationToken);
            return new DeployWriteResult(record, stored);
        }, cancellationToken);
    }

    public Task<DeployWriteResult> UpdateDeployAsync(Deploy deploy, DesiredState? desired, CancellationToken cancellationToken = default) =>
        UpdateDeployAsync(deploy, desired, control: null, cancellationToken);

    public Task<DeployWriteResult> UpdateDeployAsync(Deploy deploy, DesiredState? desired, DeployControl? control, CancellationToken cancellationToken = default)
    {
        DeployRecordRules.RequireValid(deploy);
        if (desired is not null)
        {
            DesiredStateRules.RequireValid(desired);
            if (desired.App != deploy.App) throw new ArgumentException($"the desired state is for {desired.App}, the deploy for {deploy.App}", nameof(desired));
            if (desired.DeployId is not null && desired.DeployId != deploy.Id)
                throw new ArgumentException($"the desired state names deploy {desired.DeployId}, not {deploy.Id}", nameof(desired));
        }

        return WriteAsync(async (connection, transaction) =>
        {
            var existing = await ReadDeployAsync(connection, transaction, deploy.Id, cancellationToken)
                ?? throw new RpcException(new Status(StatusCode.NotFound, $"deploy {deploy.Id} does not exist"));
            if (DeployPhases.IsFinished(existing.Phase))
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"deploy {deploy.Id} of {existing.App} already finished ({DeployPhases.Name(existing.Phase)}); start a new one"));
            DeployRecordRules.RequireSameIdentity(existing, deploy);

            var now = NowMs();
            var record = Stamp(deploy, existing.CreatedAt, now);
            await Execute(connection, transaction, """
                UPDATE deploys SET phase = $phase, step = $step, record = $record, updated_at = $now, finished_at = $finished
                WHERE id = $id;
                """, cancellationToken, DeployParameters(record, now));
            await WriteControlAsync(connection, transaction, deploy.Id, control, cancellationToken);
            var stored = desired is null ? null : await WriteDesiredAsync(connection, transaction, desired, now, cancellationToken);
            return new DeployWriteResult(record, stored);
        }, cancellationToken);
    }

    /// <summary>The engine's control flags of a deploy, saved with its record; null if never saved.</summary>
    public Task<DeployControl?> GetDeployControlAsync(string deployId, CancellationToken cancellationToken = default) =>
        ReadAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT control FROM deploy_controls WHERE deploy_id = $id;";
            command.Parameters.AddWithValue("$id", deployId);
            var bytes = await command.ExecuteScalarAsync(cancellationToken) as byte[];
            return bytes is null ? null : DeployControl.Parser.ParseFrom(bytes);
        }, cancellationToken);

    private static async Task WriteControlAsync(SqliteConnection connection, SqliteTransaction transaction, string deployId, DeployControl? control, CancellationToken cancellationToken)
    {
        if (control is null) return;
        await Execute(connection, transaction, """
            INSERT INTO deploy_controls (deploy_id, control) VALUES ($id, $control)
            ON CONFLICT (deploy_id) DO UPDATE SET control = excluded.control;
            """, cancellationToken, ("$id", deployId), ("$control", control.ToByteArray()));
    }

    public Task<Deploy?> GetDeployAsync(string id, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, transaction) => ReadDeployAsync(connection, transaction, id, cancellationToken), cancellationToken);

    public Task<Deploy?> GetActiveDeployAsync(string app, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, transaction) => ReadActiveDeployAsync(connection, transaction, app, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<Deploy>> ListActiveDeploysAsync(CancellationToken cancellationToken = default) =>
        ReadAsync((connection, transaction) => ReadDeploysAsync(connection, transaction,
            "SELECT record FROM deploys WHERE finished_at IS NULL ORDER BY app;", cancellationToken), cancellationToken);

    public Task<IReadOnlyList<Deploy>> ListDeploysAsync(string app, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync((connection, transaction) => ReadDeploysAsync(connection, transaction,
            "SELECT record FROM deploys WHERE app = $app ORDER BY created_at DESC, rowid DESC LIMIT $limit;", cancellationToken,
            ("$app", app), ("$limit", limit == 0 ? -1 : limit)), cancellationToken);
    }

    public Task<DesiredState> SaveDesiredStateAsync(DesiredState desired, CancellationToken cancellationToken = default)
    {
        DesiredStateRules.RequireValid(desired);
        return WriteAsync(async (connection, transaction) =>
        {
            if (await ReadAppAsync(connection, transaction, desired.App, cancellationToken) is null)
                throw new RpcException(new Status(StatusCode.NotFound, $"app {desired.App} does not exist"));
            return await WriteDesiredAsync(connection, transaction, desired, NowMs(), cancellationToken);
        }, cancellationToken);
    }

    public Task<DesiredState?> GetDesiredStateAsync(string app, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, transaction) => ReadDesiredAsync(connection, transaction, app, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<DesiredState>> ListDesiredStatesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(async (connection, transaction) =>
        {
            var apps = new List<string>();
            await using (var command = Command(connection, transaction, "SELECT app FROM desired_state ORDER BY app;"))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) apps.Add(reader.GetString(0));
            }
            var states = new List<DesiredState>();
            foreach (var app in apps)
            {
                states.Add(await ReadDesiredAsync(connection, transaction, app, cancellationToken)
                    ?? throw new InvalidOperationException($"desired state of {app} vanished inside a read transaction"));
            }
            return (IReadOnlyList<DesiredState>)states;
        }, cancellationToken);

    public Task RecordAckedWeightsAsync(string app, IReadOnlyList<VersionWeight> weights, CancellationToken cancellationToken = default)
    {
        RequireName(app, "app");
        DesiredStateRules.RequireValidWeights(weights, nameof(weights));
        return WriteAsync(async (connection, transaction) =>
        {
            var updated = await Execute(connection, transaction,
                "UPDATE desired_state SET acked_weights = $weights, acked_at = $now WHERE app = $app;",
                cancellationToken, ("$app", app), ("$weights", DesiredStateRules.WeightsJson(weights)), ("$now", NowMs()));
            if (updated == 0) throw new RpcException(new Status(StatusCode.NotFound, $"app {app} has no desired state"));
            return updated;
        }, cancellationToken);
    }

    /// <summary>Replaces the app's desired state, checking the revision it was based on; returns it as stored.</summary>
    private static async Task<DesiredState> WriteDesiredAsync(SqliteConnection connection, SqliteTransaction transaction, DesiredState desired, long now, CancellationToken cancellationToken)
    {
        long stored = 0;
        await using (var command = Command(connection, transaction, "SELECT revision FROM desired_state WHERE app = $app;", ("$app", desired.App)))
        {
            if (await command.ExecuteScalarAsync(cancellationToken) is long revision) stored = revision;
        }
        if (desired.Revision != stored)
            throw new RpcException(new Status(StatusCode.Aborted,
                $"the desired state of {desired.App} changed meanwhile (revision {stored}, this change was based on {desired.Revision}); read it again and retry"));

        await Execute(connection, transaction, """
            INSERT INTO desired_state (app, revision, deploy_id, acked_weights, acked_at, updated_at)
            VALUES ($app, $revision, $deploy, '[]', NULL, $now)
            ON CONFLICT (app) DO UPDATE SET revision = excluded.revision, deploy_id = excluded.deploy_id, updated_at = excluded.updated_at;
            """, cancellationToken, ("$app", desired.App), ("$revision", stored + 1), ("$deploy", desired.DeployId), ("$now", now));

        // Releases are replaced as a whole; their instances go with them (ON DELETE CASCADE).
        await Execute(connection, transaction, "DELETE FROM desired_releases WHERE app = $app;", cancellationToken, ("$app", desired.App));
        foreach (var release in desired.Releases)
        {
            await Execute(connection, transaction, """
                INSERT INTO desired_releases (app, version, weight, draining, retire_after, spec, spec_generation, artifact_sha256)
                VALUES ($app, $version, $weight, $draining, $retire, $spec, $generation, $sha256);
                """, cancellationToken, ("$app", desired.App), ("$version", release.Version), ("$weight", (long)release.Weight),
                ("$draining", release.Draining ? 1L : 0L), ("$retire", release.RetireAfter?.ToUnixTimeMilliseconds()),
                ("$spec", release.Spec.ToByteArray()), ("$generation", (long)release.SpecGeneration), ("$sha256", release.ArtifactSha256));
            foreach (var instance in release.Instances)
            {
                await Execute(connection, transaction,
                    "INSERT INTO desired_instances (app, version, agent, instance_id, host, port) VALUES ($app, $version, $agent, $id, $host, $port);",
                    cancellationToken, ("$app", desired.App), ("$version", release.Version), ("$agent", instance.Agent), ("$id", instance.InstanceId),
                    ("$host", instance.Host), ("$port", (long)instance.Port));
            }
        }
        return await ReadDesiredAsync(connection, transaction, desired.App, cancellationToken)
            ?? throw new InvalidOperationException($"the desired state of {desired.App} was not found right after writing it");
    }

    private static async Task<DesiredState?> ReadDesiredAsync(SqliteConnection connection, SqliteTransaction transaction, string app, CancellationToken cancellationToken)
    {
        long revision;
        string? deployId;
        IReadOnlyList<VersionWeight> acked;
        DateTimeOffset? ackedAt;
        DateTimeOffset updatedAt;
        await using (var command = Command(connection, transaction,
            "SELECT revision, deploy_id, acked_weights, acked_at, updated_at FROM desired_state WHERE app = $app;", ("$app", app)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken)) return null;
            revision = reader.GetInt64(0);
            deployId = reader.IsDBNull(1) ? null : reader.GetString(1);
            acked = DesiredStateRules.ParseWeights(reader.GetString(2));
            ackedAt = reader.IsDBNull(3) ? null : FromMs(reader.GetInt64(3));
            updatedAt = FromMs(reader.GetInt64(4));
        }

        var instances = new Dictionary<string, List<DesiredInstance>>(StringComparer.Ordinal);
        await using (var command = Command(connection, transaction,
            "SELECT version, agent, instance_id, host, port FROM desired_instances WHERE app = $app ORDER BY rowid;", ("$app", app)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var version = reader.GetString(0);
                if (!instances.TryGetValue(version, out var list)) instances[version] = list = [];
                list.Add(new DesiredInstance(reader.GetString(1), reader.GetString(2), reader.GetString(3), (uint)reader.GetInt64(4)));
            }
        }

        var releases = new List<DesiredRelease>();
        await using (var command = Command(connection, transaction,
            "SELECT version, weight, draining, retire_after, spec, spec_generation, artifact_sha256 FROM desired_releases WHERE app = $app ORDER BY rowid;", ("$app", app)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var version = reader.GetString(0);
                releases.Add(new DesiredRelease(
                    version,
                    (uint)reader.GetInt64(1),
                    AppSpec.Parser.ParseFrom(reader.GetFieldValue<byte[]>(4)),
                    (ulong)reader.GetInt64(5),
                    reader.GetString(6),
                    instances.TryGetValue(version, out var list) ? list : [],
                    reader.GetInt64(2) != 0,
                    reader.IsDBNull(3) ? null : FromMs(reader.GetInt64(3))));
            }
        }
        return new DesiredState(app, revision, deployId, releases, acked, ackedAt, updatedAt);
    }

    private static async Task<Deploy?> ReadActiveDeployAsync(SqliteConnection connection, SqliteTransaction transaction, string app, CancellationToken cancellationToken)
    {
        var deploys = await ReadDeploysAsync(connection, transaction,
            "SELECT record FROM deploys WHERE app = $app AND finished_at IS NULL;", cancellationToken, ("$app", app));
        return deploys.Count == 0 ? null : deploys[0];
    }

    private static async Task<Deploy?> ReadDeployAsync(SqliteConnection connection, SqliteTransaction transaction, string id, CancellationToken cancellationToken)
    {
        var deploys = await ReadDeploysAsync(connection, transaction, "SELECT record FROM deploys WHERE id = $id;", cancellationToken, ("$id", id));
        return deploys.Count == 0 ? null : deploys[0];
    }

    private static async Task<IReadOnlyList<Deploy>> ReadDeploysAsync(SqliteConnection connection, SqliteTransaction transaction, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deploys = new List<Deploy>();
        while (await reader.ReadAsync(cancellationToken)) deploys.Add(Deploy.Parser.ParseFrom(reader.GetFieldValue<byte[]>(0)));
        return deploys;
    }

    /// <summary>A copy of the deploy with the store's times: created once, updated on every write, finished when the phase is final.</summary>
    private static Deploy Stamp(Deploy deploy, Timestamp createdAt, long now)
    {
        var record = deploy.Clone();
        record.CreatedAt = createdAt;
        record.UpdatedAt = Timestamp.FromDateTimeOffset(FromMs(now));
        record.FinishedAt = DeployPhases.IsFinished(record.Phase) ? record.FinishedAt ?? record.UpdatedAt : null;
        return record;
    }

    private static (string, object?)[] DeployParameters(Deploy record, long now) =>
    [
        ("$id", record.Id), ("$app", record.App), ("$kind", (long)record.Kind), ("$from", record.FromVersion), ("$to", record.ToVersion),
        ("$phase", (long)record.Phase), ("$step", (long)record.Step), ("$record", record.ToByteArray()),
        ("$created", record.CreatedAt.ToDateTimeOffset().ToUnixTimeMilliseconds()), ("$now", now),
        ("$finished", record.FinishedAt?.ToDateTimeOffset().ToUnixTimeMilliseconds()),
    ];
}
