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
        catch (RpcException e)
        {
            // Once the caller cancels, whatever the call ended with says nothing about the agent.
            cancellationToken.ThrowIfCancellationRequested();
            error = AgentCallErrors.Describe(e);
        }

        // The health loop and the event loop both check; the lock keeps each transition announced once.
        lock (_healthLock)
        {
            var previous = _health;
            var now = _time.GetUtcNow();
            var next = response is { Serving: true }
                ? new AgentHealthSnapshot(AgentHealth.Reachable, now, "", response.AgentVersion, TimeSpan.FromSeconds(response.UptimeSeconds))
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

    /// <summary>
    /// Keeps one WatchEvents stream open. Sequence numbers restart at 1 in each agent process run,
    /// so resuming "after N" is only right if the agent is the same run: a reconnect asks for the
    /// events after N−1, and the agent must replay event N exactly as it was delivered before. If it
    /// does, everything after it is the gap, gapless; if not, the agent restarted (or dropped events)
    /// and the consumers are told to re-read its state.
    /// </summary>
    private async Task RunEventStreamAsync(CancellationToken stopping)
    {
        var backoff = _options.ReconnectInitialBackoff;
        InstanceEvent? lastDelivered = null;
        var subscribedBefore = false;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    var health = await CheckHealthAsync(stopping);
                    if (!health.IsReachable) throw new AgentNotReachableException(health.Error);
                    if (subscribedBefore && lastDelivered is null)
                    {
                        // after_sequence 0 means "only new events": with nothing seen yet there is no point to resume from.
                        AnnounceMissed($"the event stream of agent \"{Name}\" broke before its first event; the gap cannot be replayed");
                    }

                    // Event 1 cannot be asked for again (after_sequence 0 replays nothing), so an overlap needs N ≥ 2.
                    var overlap = lastDelivered is { Sequence: >= 2 } ? lastDelivered : null;
                    var afterSequence = overlap is not null ? overlap.Sequence - 1 : lastDelivered?.Sequence ?? 0;
                    using var call = Client.WatchEvents(new WatchEventsRequest { AfterSequence = afterSequence }, cancellationToken: stopping);
                    subscribedBefore = true;
                    await foreach (var instanceEvent in call.ResponseStream.ReadAllAsync(stopping))
                    {
                        if (overlap is not null)
                        {
                            var sameRun = instanceEvent.Equals(overlap);
                            overlap = null;
                            if (sameRun) continue;
                            AnnounceMissed($"agent \"{Name}\" restarted or dropped events: after sequence {afterSequence} it no longer holds the event {afterSequence + 1} delivered before");
                            lastDelivered = null;
                        }
                        Deliver(instanceEvent, lastDelivered);
                        lastDelivered = instanceEvent;
                        backoff = _options.ReconnectInitialBackoff;
                        Volatile.Write(ref _eventStreamError, "");
                    }
                    _logger.LogInformation("Agent {Agent} ended its event stream after sequence {Sequence}; reconnecting", Name, LastEventSequence);
                }
                catch (RpcException e) when (!stopping.IsCancellationRequested)
                {
                    var error = AgentCallErrors.Describe(e);
                    // Transport failures show in the health check; a refusal (credentials, limits) only shows here.
                    Volatile.Write(ref _eventStreamError, IsTransportFailure(e) ? "" : $"event stream: {error}");
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
        catch (RpcException) when (stopping.IsCancellationRequested)
        {
            // Disposed while a call was in flight: however the call ended, the loop ends with the connection.
        }
    }

    private static bool IsTransportFailure(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal;

    private void Deliver(InstanceEvent instanceEvent, InstanceEvent? previous)
    {
        if (previous is not null && instanceEvent.Sequence != previous.Sequence + 1)
        {
            AnnounceMissed(instanceEvent.Sequence <= previous.Sequence
                ? $"agent \"{Name}\" restarted: its event sequence went back from {previous.Sequence} to {instanceEvent.Sequence}"
                : $"agent \"{Name}\" no longer buffers events {previous.Sequence + 1}-{instanceEvent.Sequence - 1}");
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
