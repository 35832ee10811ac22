using Baton.Protos.Orchestrator.V1;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// The orchestrator's agents: the inventory (persisted through <see cref="IAgentInventoryStore"/>)
/// and one live <see cref="AgentConnection"/> per entry. Runs as a hosted service: it loads the
/// inventory and connects at start, and closes every connection at stop.
/// </summary>
public sealed class AgentRegistry : IHostedService, IAsyncDisposable
{
    private readonly IAgentInventoryStore _store;
    private readonly FleetOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly AgentEventHub _events;
    // Inventory changes are serialised (the store is awaited in between); readers take the lock only to copy.
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AgentConnection> _connections = new(StringComparer.Ordinal);
    private bool _loaded;

    public AgentRegistry(IAgentInventoryStore store, FleetOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        options.Validate();
        _store = store;
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<AgentRegistry>();
        _events = new AgentEventHub(options.EventSubscriberCapacity);
    }

    /// <summary>Every agent connection, in name order.</summary>
    public IReadOnlyList<AgentConnection> Connections
    {
        get { lock (_lock) return _connections.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList(); }
    }

    /// <summary>Loads the inventory and connects to every agent in it. Calling it again changes nothing.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (_loaded) return;
            foreach (var record in await _store.LoadAsync(cancellationToken)) Connect(record);
            _loaded = true;
            _logger.LogInformation("Fleet inventory loaded: {Count} agents", _connections.Count);
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    /// <summary>
    /// Registers an agent and starts watching it. InvalidArgument for a bad name, address or label;
    /// AlreadyExists when the name, or the address under another name, is taken.
    /// </summary>
    public async Task<Agent> AddAsync(string name, string address, IEnumerable<KeyValuePair<string, string>>? labels, CancellationToken cancellationToken)
    {
        NameValidator.Require(name, "name");
        var record = new AgentRecord(name, AgentAddress.Parse(address), AgentLabels.Validate(labels));
        await _changes.WaitAsync(cancellationToken);
        try
        {
            lock (_lock)
            {
                if (_connections.ContainsKey(name))
                    throw new RpcException(new Status(StatusCode.AlreadyExists, $"agent \"{name}\" already exists; remove it first to change its address or labels"));
                if (_connections.Values.FirstOrDefault(c => c.Address == record.Address) is { } sameAddress)
                    throw new RpcException(new Status(StatusCode.AlreadyExists,
                        $"address {record.Address} is already agent \"{sameAddress.Name}\"; one agent under two names would run every instance twice"));
            }
            // The store is the truth: a connection exists only for an entry that is persisted.
            await _store.SaveAsync(record, cancellationToken);
            var connection = Connect(record);
            _logger.LogInformation("Agent {Agent} added at {Address}", name, record.Address);
            return connection.ToProto();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Forgets an agent (its instances keep running: the agent is left alone). NotFound when unknown.</summary>
    public async Task RemoveAsync(string name, CancellationToken cancellationToken)
    {
        NameValidator.Require(name, "name");
        await _changes.WaitAsync(cancellationToken);
        AgentConnection connection;
        try
        {
            connection = Get(name);
            await _store.DeleteAsync(name, cancellationToken);
            lock (_lock) _connections.Remove(name);
            _logger.LogInformation("Agent {Agent} removed", name);
        }
        finally
        {
            _changes.Release();
        }
        await connection.DisposeAsync();
    }

    /// <summary>Every agent with its labels and last observed health, in name order.</summary>
    public IReadOnlyList<Agent> List() => Connections.Select(c => c.ToProto()).ToList();

    /// <summary>The connection to <paramref name="name"/>, or NotFound.</summary>
    public AgentConnection Get(string name)
    {
        if (TryGet(name, out var connection)) return connection;
        throw new RpcException(new Status(StatusCode.NotFound, $"agent {NameValidator.Show(name)} is not in the fleet; add it with `baton agent add`"));
    }

    public bool TryGet(string name, out AgentConnection connection)
    {
        lock (_lock) return _connections.TryGetValue(name, out connection!);
    }

    /// <summary>
    /// Subscribes to the instance events of every agent, tagged with the agent, plus reachability
    /// changes and <see cref="AgentEventKind.EventsMissed"/> notices, from this moment on. A consumer
    /// subscribes first, then lists the instances, then applies the events on top.
    /// </summary>
    public AgentEventSubscription SubscribeEvents() => _events.Subscribe();

    private AgentConnection Connect(AgentRecord record)
    {
        var connection = new AgentConnection(record, _options, _events, _time, _loggerFactory.CreateLogger<AgentConnection>());
        lock (_lock) _connections.Add(record.Name, connection);
        connection.Start();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        List<AgentConnection> connections;
        lock (_lock)
        {
            connections = [.. _connections.Values];
            _connections.Clear();
        }
        foreach (var connection in connections) await connection.DisposeAsync();
    }
}
