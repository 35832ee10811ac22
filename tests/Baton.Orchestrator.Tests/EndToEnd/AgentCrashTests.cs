using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>Issue 4, scenario 4: an agent SIGKILLed during a step's pause and started again a little later.</summary>
public sealed class AgentCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_agent_killed_during_a_step_keeps_its_instances_and_the_deploy_succeeds_once_it_is_back()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        await cluster.ApplyAsync(EndToEndCluster.Spec("""
            steps: [{weight: 50, pause: 6s}]
            analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
            drain_timeout: 10s
            rollback_window: 1s
            """));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var client = await cluster.StartClientAsync("client-1");

        var deploy = await cluster.DeployAsync("v2");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Receipt.Any(r => r.Index == 1 && r.AckedAt is not null), "step 1 ACKed");
        var v2 = await cluster.ReadyPidsAsync("v2", expected: 2);

        var agent = cluster.Agents[1];
        agent.Kill();
        // The agent's instances live on without it, and keep serving their share.
        var whileDown = await client.WindowAsync(200);
        output.WriteLine($"while agent a2 is down: {whileDown}");
        WeightedSplit.AssertFollows(whileDown, ("v2", 50), ("v1", 50));
        Assert.True(v1.Values.Concat(v2.Values).All(cluster.IsAlive), "an instance died with its agent");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await agent.RestartAsync();

        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy ends");
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        // The restarted agent adopted its instances: the same processes, none launched again.
        Assert.Equal(v2, await cluster.ReadyPidsAsync("v2", expected: 2));
        await Fleet.Support.Eventually.TrueAsync(() => !v1.Values.Any(cluster.IsAlive), "v1 processes stopped after the rollback window");
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync(), l => l.All(i => i.Version == "v2"), "only v2 instances listed");

        WeightedSplit.AssertFollows(await client.WindowAsync(100), ("v2", 100));
        var total = await client.QuitAsync();
        output.WriteLine($"total: {total}");
        Assert.True(total.Failed == 0, $"calls failed: {total}");
    }
}
