using System.Text.Json;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Store;

public sealed partial class SqliteStore
{
    public Task<AgentRecord> AddAgentAsync(AgentRecord agent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        RequireName(agent.Name, "agent");
        ArgumentException.ThrowIfNullOrWhiteSpace(agent.Address);
        return WriteAsync(async (connection, transaction) =>
        {
            if (await ReadAgentAsync(connection, transaction, agent.Name, cancellationToken) is { } existing)
            {
                if (existing.SameAs(agent)) return existing;
                throw new RpcException(new Status(StatusCode.AlreadyExists,
                    $"agent {agent.Name} already exists with address {existing.Address}; remove it first to change it"));
            }
            var now = NowMs();
            await Execute(connection, transaction,
                "INSERT INTO agents (name, address, labels, added_at) VALUES ($name, $address, $labels, $now);",
                cancellationToken, ("$name", agent.Name), ("$address", agent.Address), ("$labels", LabelsJson(agent.Labels)), ("$now", now));
            return agent with { Labels = new Dictionary<string, string>(agent.Labels), AddedAt = FromMs(now) };
        }, cancellationToken);
    }

    public Task<AgentRecord?> GetAgentAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, transaction) => ReadAgentAsync(connection, transaction, name, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AgentRecord>> ListAgentsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, "SELECT name, address, labels, added_at FROM agents ORDER BY name;");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var agents = new List<AgentRecord>();
            while (await reader.ReadAsync(cancellationToken)) agents.Add(ReadAgent(reader));
            return (IReadOnlyList<AgentRecord>)agents;
        }, cancellationToken);

    public Task<bool> RemoveAgentAsync(string name, CancellationToken cancellationToken = default) =>
        WriteAsync(async (connection, transaction) =>
            await Execute(connection, transaction, "DELETE FROM agents WHERE name = $name;", cancellationToken, ("$name", name)) > 0,
            cancellationToken);

    private static async Task<AgentRecord?> ReadAgentAsync(SqliteConnection connection, SqliteTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT name, address, labels, added_at FROM agents WHERE name = $name;", ("$name", name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadAgent(reader) : null;
    }

    private static AgentRecord ReadAgent(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        JsonSerializer.Deserialize(reader.GetString(2), StoreJsonContext.Default.DictionaryStringString)
            ?? throw new InvalidDataException($"agent {reader.GetString(0)}: labels column holds JSON null"),
        FromMs(reader.GetInt64(3)));

    private static string LabelsJson(IReadOnlyDictionary<string, string> labels) =>
        JsonSerializer.Serialize(new Dictionary<string, string>(labels), StoreJsonContext.Default.DictionaryStringString);
}
