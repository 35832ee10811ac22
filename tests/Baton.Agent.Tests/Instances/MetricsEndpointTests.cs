using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.Instances;

public sealed class MetricsEndpointTests() : AgentTestBase
{
    [Fact]
    public async Task MetricsCountInstancesByStateRestartsAndSpawns()
    {
        var crashing = AgentProcess.NodeSpec("crash", "demo", "v1", "--exit", "1");
        crashing.Restart = new RestartPolicy { InitialBackoffMs = 10, CrashLoopRestarts = 2 };
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec("ok-1"), AgentProcess.NodeSpec("ok-2"), crashing } });
        await Eventually.MatchAsync(
            async () => (await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances,
            l => l.Count(i => i.State == InstanceState.Ready) == 2 && l.Any(i => i.State == InstanceState.CrashLooping),
            "two ready, one crash-looping");

        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{Agent.MetricsPort}/metrics");

        Assert.Contains("baton_agent_instances{state=\"ready\"} 2", text);
        Assert.Contains("baton_agent_instances{state=\"crash_looping\"} 1", text);
        Assert.Contains("baton_agent_restarts_total{app=\"demo\"} 2", text);
        Assert.Contains("baton_agent_spawn_seconds_count 5", text);
    }
}
