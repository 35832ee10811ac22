using System.Threading.Channels;
using Baton.Protos.Agent.V1;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// The orchestrator's line to one agent: a channel carrying its credentials, a health check every
/// <see cref="FleetOptions.HealthCheckInterval"/>, and a WatchEvents stream that reconnects with
/// backoff and resumes after the last sequence number it delivered.
/// </summary>
public sealed class AgentConnection : IAsyncDisposable
{
    /// <summary>
    /// Two health checks computing the agent's start time as "now − uptime" differ by the call
    /// latency; a restarted agent differs by at least its previous run plus its start-up.
    /// </summary>
    private static readonly TimeSpan SameRunTolerance = TimeSpan.FromSeconds(1);

    private readonly FleetOptions _options;
    private readonly AgentEventHub _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GrpcChannel _channel;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _healthLock = new();
    // A failing event stream asks for an early health check, so a dead agent is marked at once.
    private readonly Channel<bool> _healthCheckRequests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private AgentHealthSnapshot _health = AgentHealthSnapshot.Unknown;
    private string _eventStreamError = "";
    private ulong _lastEventSequence;
    private Task _healthLoop = Task.CompletedTask;
    private Task _eventLoop = Task.CompletedTask;

    internal AgentConnection(AgentRecord record, FleetOptions options, AgentEventHub events, TimeProvider time, ILogger logger)
    {
        Record = record;
        _options = options;
        _events = events;
        _time = time;
        _logger = logger;
        _channel = AgentChannelFactory.CreateChannel(record.Address, options);
        Client = new AgentService.AgentServiceClient(AgentChannelFactory.CreateInvoker(_channel, options));
    }

    public AgentRecord Record { get; }

    public string Name => Record.Name;

    public AgentAddress Address => Record.Address;

    public IReadOnlyDictionary<string, string> Labels => Record.Labels;

    public AgentHealthSnapshot Health => Volatile.Read(ref _health);

    /// <summary>The sequence number of the last instance event delivered from the agent's current run (0: none yet).</summary>
    public ulong LastEventSequence => Interlocked.Read(ref _lastEventSequence);

    /// <summary>The agent's gRPC client, its calls carrying the orchestrator's credentials. Set a deadline on every call.</summary>
    internal AgentService.AgentServiceClient Client { get; }

    internal void Start()
    {
        _healthLoop = Task.Run(() => RunHealthChecksAsync(_stopping.Token));
        _eventLoop = Task.Run(() => RunEventStreamAsync(_stopping.Token));
    }

    /// <summary>The inventory entry with what the last health check and the event stream saw, as the API shows it.</summary>
    public Agent ToProto()
    {
        var health = Health;
        var agent = new Agent
        {
            Name = Name,
            Address = Address.ToString(),
            Health = health.Health,
            Error = health.Error.Length > 0 ? health.Error : Volatile.Read(ref _eventStreamError),
        };
        foreach (var (key, value) in Labels) agent.Labels[key] = value;
        if (health.LastSeen is { } lastSeen) agent.LastSeen = Timestamp.FromDateTimeOffset(lastSeen);
        return agent;
    }

    internal DateTime Deadline(TimeSpan timeout) => DateTime.UtcNow + timeout;

    /// <summary>One health check now; updates <see cref="Health"/> and announces a change of reachability.</summary>
    public async Task<AgentHealthSnapshot> CheckHealthAsync(CancellationToken cancellationToken)
    {
        GetHealthResponse? response = null;
        var error = "";
        try
        {
            response = await Client.GetHealthAsync(new GetHealthRequest(), deadline: Deadline(_options.HealthCheckTimeout), cancellationToken: cancellationToken);
            if (!response.Serving) error = "the agent answers but reports it is not serving";
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            error = AgentCallErrors.Describe(e);
        }

        // The health loop and the event loop both check; the lock keeps each transition announced once.
        lock (_healthLock)
        {
            var previous = _health;
            var now = _time.GetUtcNow();
            var next = response is { Serving: true }
                ? new AgentHealthSnapshot(AgentHealth.Reachable, now, "", response.AgentVersion, now - TimeSpan.FromSeconds(response.UptimeSeconds))
                : previous with { Health = AgentHealth.Unreachable, Error = error };
            Volatile.Write(ref _health, next);
            if (next.Health != previous.Health)
            {
                if (next.IsReachable)
                {
                    _logger.LogInformation("Agent {Agent} at {Address} is reachable (agent version {Version})", Name, Address, next.AgentVersion);
                    _events.Publish(AgentEvent.BecameReachable(Name));
                }
                else
                {
                    _logger.LogWarning("Agent {Agent} at {Address} is unreachable: {Error}", Name, Address, next.Error);
                    _events.Publish(AgentEvent.BecameUnreachable(Name, next.Error));
                }
            }
            return next;
        }
    }

    private async Task RunHealthChecksAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await CheckHealthAsync(stopping);
                using var interval = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                interval.CancelAfter(_options.HealthCheckInterval);
                try
                {
                    await _healthCheckRequests.Reader.ReadAsync(interval.Token);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    // The interval elapsed without an early request: the regular check is due.
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed: the loop ends with the connection.
        }
    }

    private async Task RunEventStreamAsync(CancellationToken stopping)
    {
        var backoff = _options.ReconnectInitialBackoff;
        DateTimeOffset? watchedRunStartedAt = null;
        var subscribedBefore = false;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    // Which agent process run is about to be watched decides whether after_sequence still means anything.
                    var health = await CheckHealthAsync(stopping);
                    if (!health.IsReachable) throw new AgentNotReachableException(health.Error);
                    var runStartedAt = health.AgentStartedAt!.Value;
                    if (watchedRunStartedAt is { } watched && (runStartedAt - watched).Duration() > SameRunTolerance)
                    {
                        AnnounceMissed($"agent \"{Name}\" restarted; events of its new run before this reconnect are not replayable");
                        Interlocked.Exchange(ref _lastEventSequence, 0);
                    }
                    else if (subscribedBefore && LastEventSequence == 0)
                    {
                        // after_sequence 0 means "only new events": with nothing seen yet there is no point to resume from.
                        AnnounceMissed($"the event stream of agent \"{Name}\" broke before its first event; the gap cannot be replayed");
                    }
                    watchedRunStartedAt = runStartedAt;

                    using var call = Client.WatchEvents(new WatchEventsRequest { AfterSequence = LastEventSequence }, cancellationToken: stopping);
                    subscribedBefore = true;
                    await foreach (var instanceEvent in call.ResponseStream.ReadAllAsync(stopping))
                    {
                        Deliver(instanceEvent);
                        backoff = _options.ReconnectInitialBackoff;
                        Volatile.Write(ref _eventStreamError, "");
                    }
                    _logger.LogInformation("Agent {Agent} ended its event stream after sequence {Sequence}; reconnecting", Name, LastEventSequence);
                }
                catch (RpcException e) when (!stopping.IsCancellationRequested)
                {
                    var error = AgentCallErrors.Describe(e);
                    Volatile.Write(ref _eventStreamError, $"event stream: {error}");
                    _logger.LogWarning("Event stream of agent {Agent} at {Address} broke after sequence {Sequence}: {Error}; retrying in {Backoff}",
                        Name, Address, LastEventSequence, error, backoff);
                    _healthCheckRequests.Writer.TryWrite(true);
                }
                catch (AgentNotReachableException e)
                {
                    _logger.LogDebug("Agent {Agent} not reachable for its event stream: {Error}; retrying in {Backoff}", Name, e.Message, backoff);
                }

                await Task.Delay(backoff, _time, stopping);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.ReconnectMaxBackoff.Ticks));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed: the loop ends with the connection.
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stopping.IsCancellationRequested)
        {
            // Disposed while a call was in flight.
        }
    }

    private void Deliver(InstanceEvent instanceEvent)
    {
        var last = LastEventSequence;
        if (last > 0 && instanceEvent.Sequence != last + 1)
        {
            AnnounceMissed(instanceEvent.Sequence <= last
                ? $"agent \"{Name}\" restarted: its event sequence went back from {last} to {instanceEvent.Sequence}"
                : $"agent \"{Name}\" no longer buffers events {last + 1}-{instanceEvent.Sequence - 1}");
        }
        Interlocked.Exchange(ref _lastEventSequence, instanceEvent.Sequence);
        _events.Publish(AgentEvent.FromInstance(Name, instanceEvent));
    }

    private void AnnounceMissed(string why)
    {
        _logger.LogWarning("{Why}; consumers re-read its instances", why);
        _events.Publish(AgentEvent.Missed(Name, why));
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync();
        await Task.WhenAll(_healthLoop, _eventLoop);
        _channel.Dispose();
        _stopping.Dispose();
    }

    /// <summary>The health check before a reconnect failed; the event loop backs off without another log line per attempt.</summary>
    private sealed class AgentNotReachableException(string error) : Exception(error);
}
