using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.Instances;

/// <summary>GetHealth against the real agent process.</summary>
public sealed class AgentHealthTests : IAsyncLifetime
{
    private AgentProcess _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentProcess.StartAsync(portCount: 2);

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task UptimeCountsFromTheAgentsStartNotFromEachCall()
    {
        var first = await _agent.Client.GetHealthAsync(new GetHealthRequest());
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var second = await _agent.Client.GetHealthAsync(new GetHealthRequest());

        Assert.True(second.Serving);
        // Each call gets a fresh service instance: a start time kept per instance would read ~0 both times.
        Assert.True(second.UptimeSeconds > first.UptimeSeconds, $"uptime went from {first.UptimeSeconds} s to {second.UptimeSeconds} s");
        // The second reading was taken at least the wait after the first (a little slack for timer granularity).
        Assert.True(second.UptimeSeconds - first.UptimeSeconds >= 0.45, $"uptime grew by {second.UptimeSeconds - first.UptimeSeconds} s over a 500 ms wait");
    }
}
