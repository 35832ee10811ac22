using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>Issue 4: resume at a manual gate, pause, resume, promote, then an instant rollback, under traffic.</summary>
public sealed class OperatorCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Resume_pause_promote_and_an_instant_rollback_each_do_what_they_say_without_a_failed_call()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        await cluster.ApplyAsync(EndToEndCluster.Spec("""
            steps: [{weight: 20, manual: true}, {weight: 60, pause: 1m}]
            drain_timeout: 5s
            rollback_window: 5m
            """));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var client = await cluster.StartClientAsync("client-1");

        var deploy = await cluster.DeployAsync("v2");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Phase == DeployPhase.Paused && d.Receipt.Any(r => r.Index == 1 && r.AckedAt is not null), "held at the manual gate");
        WeightedSplit.AssertFollows(await client.WindowAsync(200), ("v2", 20), ("v1", 80));

        await RunAsync(cluster, "resume");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Receipt.Any(r => r.Index == 2 && r.AckedAt is not null), "step 2 ACKed");
        WeightedSplit.AssertFollows(await client.WindowAsync(200), ("v2", 60), ("v1", 40));

        await RunAsync(cluster, "pause");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Phase == DeployPhase.Paused, "paused at step 2");
        await RunAsync(cluster, "resume");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Phase == DeployPhase.Shifting, "shifting again");
        await RunAsync(cluster, "promote");
        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the promoted deploy ends");
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        Assert.Equal("promoted", done.Receipt.Last().Verdict);
        WeightedSplit.AssertFollows(await client.WindowAsync(200), ("v2", 100));
        var v2 = await cluster.ReadyPidsAsync("v2", expected: 2);
        // Within the rollback window v1 stays warm at 0 %: the same processes, still ready.
        Assert.Equal(v1, await cluster.ReadyPidsAsync("v1", expected: 2));

        var rollback = await RunAsync(cluster, "rollback");
        Assert.Contains("rollback", rollback.Stdout, StringComparison.Ordinal);
        var back = (await cluster.StatusAsync()).Deploy;
        Assert.Equal(DeployKind.Rollback, back.Kind);
        back = await cluster.WaitForDeployAsync(back.Id, EndToEndCluster.DeployFinished, "the rollback ends");
        Assert.True(back.Phase == DeployPhase.Succeeded && back.ToVersion == "v1", back.ToString());
        // Instant: the warm v1 processes took the traffic back; nothing was launched for it.
        Assert.Equal(v1, await cluster.ReadyPidsAsync("v1", expected: 2));
        WeightedSplit.AssertFollows(await client.WindowAsync(200), ("v1", 100));
        await Fleet.Support.Eventually.TrueAsync(() => !v2.Values.Any(cluster.IsAlive), "v2 processes stopped after the rollback");

        var total = await client.QuitAsync();
        output.WriteLine($"total: {total}");
        Assert.True(total.Failed == 0, $"calls failed: {total}");
    }

    private async Task<Cli.CliResult> RunAsync(EndToEndCluster cluster, string command)
    {
        var result = await cluster.CliAsync(command, cluster.App);
        output.WriteLine($"baton {command}: {result.Stdout.Trim()}");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}
