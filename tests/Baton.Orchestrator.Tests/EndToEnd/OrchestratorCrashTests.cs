using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Issue 4, scenario 3: `baton server` SIGKILLed while starting, during a step, while draining, then
/// started again on the same data dir: the deploy ends as it should, no instance is launched twice,
/// no call fails, and the data planes keep routing on their last config meanwhile.
/// </summary>
public sealed class OrchestratorCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killed_while_v2_is_starting_the_restarted_server_adopts_the_v2_instances_and_succeeds()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        await cluster.ApplyAsync(EndToEndCluster.Spec("""
            steps: [{weight: 50, pause: 2s}]
            ready_deadline: 1m
            drain_timeout: 10s
            rollback_window: 1s
            """));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var client = await cluster.StartClientAsync("client-1");

        // v2 listens only 8 s after it starts: the server is killed while it waits for readiness.
        var deploy = await cluster.DeployAsync("v2", new { readyAfterMs = 8000 });
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Phase == DeployPhase.Starting, "starting");
        var launched = await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync("v2"),
            l => l.Count == 2 && l.All(i => i.Pid > 0), "both v2 instances launched");
        Assert.All(launched, i => Assert.NotEqual("ready", i.State));
        var v2 = launched.ToDictionary(i => i.InstanceId, i => i.Pid);

        cluster.Server.Kill();
        var whileDown = await client.WindowAsync(200);
        WeightedSplit.AssertFollows(whileDown, ("v1", 100));
        await cluster.Server.RestartAsync();

        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy ends after the restart");
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        // The instances launched before the crash are the ones serving now: none launched again.
        Assert.Equal(v2, await cluster.ReadyPidsAsync("v2", expected: 2));
        await AssertV1RetiredAsync(cluster, v1);
        await AssertNoFailureAsync(client, ("v2", 100));
    }

    [Fact]
    public async Task Killed_during_a_step_the_data_planes_keep_the_split_and_the_restarted_server_finishes_the_pause()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        await cluster.ApplyAsync(EndToEndCluster.Spec("""
            steps: [{weight: 50, pause: 8s}]
            analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
            drain_timeout: 10s
            rollback_window: 1s
            """));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var client = await cluster.StartClientAsync("client-1");

        var deploy = await cluster.DeployAsync("v2");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Phase == DeployPhase.Shifting, "v2 ready");
        var v2 = await cluster.ReadyPidsAsync("v2", expected: 2);
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Receipt.Any(r => r.Index == 1 && r.AckedAt is not null), "step 1 ACKed");
        // Killed right after the step counted as applied: the client ACKed the route and the cluster and
        // endpoints it references (grpc-js follows a route only once it holds those), so it has the split.
        cluster.Server.Kill();
        // No control plane: the client routes on the last weights it ACKed.
        var whileDown = await client.WindowAsync(200);
        output.WriteLine($"while the server is down: {whileDown}");
        WeightedSplit.AssertFollows(whileDown, ("v2", 50), ("v1", 50));
        await cluster.Server.RestartAsync();

        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy ends after the restart");
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        Assert.Equal([1u, 2u], done.Receipt.Select(r => r.Index));
        Assert.Equal(v2, await cluster.ReadyPidsAsync("v2", expected: 2));
        await AssertV1RetiredAsync(cluster, v1);
        await AssertNoFailureAsync(client, ("v2", 100));
    }

    [Fact]
    public async Task Killed_while_draining_a_slow_v1_no_call_in_flight_is_lost_and_the_restarted_server_retires_v1()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        await cluster.ApplyAsync(EndToEndCluster.Spec("""
            drain_timeout: 30s
            rollback_window: 1s
            """));
        // Every v1 call takes 2.5 s: calls are in flight on v1 when the traffic moves to v2.
        await cluster.DeployToEndAsync("v1", new { slowMs = 2500 });
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var client = await cluster.StartClientAsync("client-1", concurrency: 24, pauseMs: 1);
        WeightedSplit.AssertFollows(await client.WindowAsync(30), ("v1", 100));

        var deploy = await cluster.DeployAsync("v2");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Phase == DeployPhase.Draining, "draining",
            d => Assert.True(d.Phase is not (DeployPhase.Retiring or DeployPhase.Succeeded), $"draining passed unseen: {d}"));
        var v2 = await cluster.ReadyPidsAsync("v2", expected: 2);
        cluster.Server.Kill();
        Assert.True(v1.Values.All(cluster.IsAlive), "v1 stopped before the drain ended");
        await cluster.Server.RestartAsync();

        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy ends after the restart");
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        output.WriteLine($"ended: {done.Message}");
        Assert.Equal(v2, await cluster.ReadyPidsAsync("v2", expected: 2));
        await AssertV1RetiredAsync(cluster, v1);
        await AssertNoFailureAsync(client, ("v2", 100));
    }

    private static async Task AssertV1RetiredAsync(EndToEndCluster cluster, Dictionary<string, int> v1)
    {
        await Fleet.Support.Eventually.TrueAsync(() => !v1.Values.Any(cluster.IsAlive), "v1 processes stopped after the rollback window");
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync(), l => l.All(i => i.Version == "v2"), "only v2 instances listed");
    }

    private async Task AssertNoFailureAsync(XdsClientProcess client, params (string Version, uint Weight)[] weights)
    {
        WeightedSplit.AssertFollows(await client.WindowAsync(100), weights);
        var total = await client.QuitAsync();
        output.WriteLine($"total: {total}");
        Assert.True(total.Failed == 0, $"calls failed: {total}");
    }
}
