using Baton.Orchestrator.Fleet;
using Baton.Protos.Agent.V1;
using Baton.Protos.Orchestrator.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Orchestrator.Tests.Fleet.Support;

/// <summary>The orchestrator's fleet side as a test drives it: registry, operations, log streamer and an event recorder.</summary>
internal sealed class FleetUnderTest : IAsyncDisposable
{
    private FleetUnderTest(AgentRegistry registry, FleetOptions options)
    {
        Registry = registry;
        Operations = new AgentOperations(registry, options, NullLogger<AgentOperations>.Instance);
        Logs = new FleetLogStreamer(registry, Operations, options, NullLogger<FleetLogStreamer>.Instance);
        Events = new EventRecorder(registry.SubscribeEvents());
    }

    public AgentRegistry Registry { get; }

    public AgentOperations Operations { get; }

    public FleetLogStreamer Logs { get; }

    public EventRecorder Events { get; }

    /// <summary>Short health intervals and backoffs so a test sees state changes soon; nothing asserts how soon.</summary>
    public static async Task<FleetUnderTest> StartAsync(string? token = null, IAgentInventoryStore? store = null)
    {
        var options = new FleetOptions
        {
            BearerToken = token,
            HealthCheckInterval = TimeSpan.FromMilliseconds(200),
            HealthCheckTimeout = TimeSpan.FromSeconds(2),
            ReconnectInitialBackoff = TimeSpan.FromMilliseconds(50),
            ReconnectMaxBackoff = TimeSpan.FromMilliseconds(500),
            CallTimeout = TimeSpan.FromSeconds(20),
        };
        var registry = new AgentRegistry(store ?? new InMemoryAgentInventoryStore(), options, TimeProvider.System, NullLoggerFactory.Instance);
        await registry.StartAsync(CancellationToken.None);
        return new FleetUnderTest(registry, options);
    }

    public Task<Baton.Protos.Orchestrator.V1.Agent> AddAsync(string name, string address, IDictionary<string, string>? labels = null) =>
        Registry.AddAsync(name, address, labels, CancellationToken.None);

    public Task WaitForHealthAsync(string agent, AgentHealth health) =>
        Eventually.TrueAsync(() => Registry.Get(agent).Health.Health == health, $"agent {agent} {health}; now {Registry.Get(agent).Health}");

    /// <summary>
    /// Returns once the fleet's event stream from <paramref name="agentName"/> delivers events.
    /// The agent sends nothing on WatchEvents before its first event, so the only sign that the
    /// stream is attached is an event: a warm-up instance is restarted until one arrives.
    /// </summary>
    public async Task AttachEventStreamAsync(RealAgent agent, string agentName)
    {
        var warmup = $"warmup-{agentName}";
        var seenBefore = Events.InstanceEvents(agentName).Count;
        await agent.DirectClient.LaunchAsync(new LaunchRequest { Instances = { RealAgent.NodeSpec(warmup, "demo", "v1") } });
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        while (Events.InstanceEvents(agentName).Count == seenBefore)
        {
            if (DateTime.UtcNow > giveUp) throw new TimeoutException($"no event from {agentName}; seen: {Events.Describe()}");
            await Task.Delay(200);
            if (Events.InstanceEvents(agentName).Count == seenBefore)
                await agent.DirectClient.RestartAsync(new RestartRequest { InstanceIds = { warmup } });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Events.DisposeAsync();
        await Registry.DisposeAsync();
    }
}
