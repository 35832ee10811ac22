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
    /// Returns once the fleet's event stream is attached to <paramref name="agent"/>'s current run:
    /// the agent has subscribed it (its response headers arrived), so every event from now on reaches
    /// <see cref="Events"/>. Asked of the agent directly, so a stream still attached to a run the
    /// agent has left (killed, restarted) does not count.
    /// </summary>
    public async Task AttachEventStreamAsync(RealAgent agent, string agentName)
    {
        var runId = (await agent.DirectClient.GetHealthAsync(new GetHealthRequest())).RunId;
        await Eventually.TrueAsync(() => Registry.Get(agentName).EventStreamRunId == runId,
            $"event stream of {agentName} attached to run {runId}; now {Registry.Get(agentName).EventStreamRunId ?? "not attached"}");
    }

    public async ValueTask DisposeAsync()
    {
        await Events.DisposeAsync();
        await Registry.DisposeAsync();
    }
}
