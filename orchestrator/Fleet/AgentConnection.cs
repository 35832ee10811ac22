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
/// backoff and resumes exactly after the last event it delivered, as long as the agent is the same
/// process run; a restarted agent (new run id) is announced as <see cref="AgentEventKind.EventsMissed"/>.
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
    private string? _eventStreamRunId;
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

    /// <summary>
    /// The run id of the agent whose WatchEvents stream is attached right now (the agent has
    /// subscribed it: every event it publishes from then on will be delivered); null while not attached.
    /// </summary>
    public string? EventStreamRunId => Volatile.Read(ref _eventStreamRunId);

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
                ? new AgentHealthSnapshot(AgentHealth.Reachable, now, "", response.AgentVersion, TimeSpan.FromSeconds(response.UptimeSeconds), response.RunId, response.LastEventSequence)
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
    /// Keeps one WatchEvents stream open. Sequence numbers count per agent process run, so the
    /// resume point is a run id with a sequence: a reconnect to the same run asks for the events
    /// after the last one delivered (exact, also before its first event: after_sequence 0 replays
    /// from event 1); an agent with another run id restarted, which is announced, and the stream
    /// starts over from what the new run had published when it answered the health check.
    /// </summary>
    private async Task RunEventStreamAsync(CancellationToken stopping)
    {
        var backoff = _options.ReconnectInitialBackoff;
        EventResumePoint? resume = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    var health = await CheckHealthAsync(stopping);
                    if (!health.IsReachable) throw new AgentNotReachableException(health.Error);
                    if (resume is null || resume.RunId != health.AgentRunId)
                    {
                        if (resume is not null)
                        {
                            AnnounceMissed($"agent \"{Name}\" restarted (run {resume.RunId} after its event {resume.Sequence}, now run {health.AgentRunId}); the events in between are lost");
                            Interlocked.Exchange(ref _lastEventSequence, 0);
                        }
                        // Everything the agent publishes after its health answer is replayed from here.
                        resume = new EventResumePoint(health.AgentRunId, health.AgentLastEventSequence);
                    }

                    using var call = Client.WatchEvents(new WatchEventsRequest { AfterSequence = resume.Sequence }, cancellationToken: stopping);
                    // The agent sends its headers once it has subscribed this stream, before any event;
                    // a refusal comes as headers too, ending the call (reading it then throws its status).
                    await call.ResponseHeadersAsync;
                    if (!EndedWithItsHeaders(call))
                    {
                        Volatile.Write(ref _eventStreamRunId, resume.RunId);
                        backoff = _options.ReconnectInitialBackoff;
                        Volatile.Write(ref _eventStreamError, "");
                    }
                    try
                    {
                        await foreach (var instanceEvent in call.ResponseStream.ReadAllAsync(stopping))
                            resume = Deliver(instanceEvent, resume);
                    }
                    finally
                    {
                        Volatile.Write(ref _eventStreamRunId, null);
                    }
                    _logger.LogInformation("Agent {Agent} ended its event stream after sequence {Sequence}; reconnecting", Name, resume.Sequence);
                }
                catch (RpcException e) when (!stopping.IsCancellationRequested)
                {
                    var error = AgentCallErrors.Describe(e);
                    // Transport failures show in the health check; a refusal (credentials, limits) only shows here.
                    Volatile.Write(ref _eventStreamError, IsTransportFailure(e) ? "" : $"event stream: {error}");
                    _logger.LogWarning("Event stream of agent {Agent} at {Address} broke after sequence {Sequence}: {Error}; retrying in {Backoff}",
                        Name, Address, resume?.Sequence, error, backoff);
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

    /// <summary>True when the call's headers carried its final status (a "trailers-only" answer, e.g. a refusal).</summary>
    private static bool EndedWithItsHeaders(AsyncServerStreamingCall<InstanceEvent> call)
    {
        try
        {
            // Once the headers are in, the status is available exactly when they ended the call.
            call.GetStatus();
            return true;
        }
        catch (InvalidOperationException)
        {
            // The documented answer for a call still running: the stream is open.
            return false;
        }
    }

    private static bool IsTransportFailure(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal;

    /// <summary>Publishes one event, announcing first anything that cannot follow the resume point without a gap; returns the next resume point.</summary>
    private EventResumePoint Deliver(InstanceEvent instanceEvent, EventResumePoint resume)
    {
        if (instanceEvent.RunId != resume.RunId)
        {
            // The agent restarted between the health check and the subscription: the new run
            // replayed its own events after a sequence number that belonged to the old run.
            AnnounceMissed($"agent \"{Name}\" restarted (run {resume.RunId} after its event {resume.Sequence}, now run {instanceEvent.RunId}); the events in between are lost");
        }
        else if (instanceEvent.Sequence != resume.Sequence + 1)
        {
            AnnounceMissed(instanceEvent.Sequence <= resume.Sequence
                // Only agents without run ids (older versions) get here on a restart.
                ? $"agent \"{Name}\" restarted: its event sequence went back from {resume.Sequence} to {instanceEvent.Sequence}"
                : $"agent \"{Name}\" no longer buffers events {resume.Sequence + 1}-{instanceEvent.Sequence - 1}");
        }
        Interlocked.Exchange(ref _lastEventSequence, instanceEvent.Sequence);
        _events.Publish(AgentEvent.FromInstance(Name, instanceEvent));
        return new EventResumePoint(instanceEvent.RunId, instanceEvent.Sequence);
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

    /// <summary>Where the event stream resumes: after event <paramref name="Sequence"/> of agent run <paramref name="RunId"/>.</summary>
    private sealed record EventResumePoint(string RunId, ulong Sequence);
}
