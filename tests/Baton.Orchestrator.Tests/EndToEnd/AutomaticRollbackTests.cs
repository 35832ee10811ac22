using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Issue 4, scenario 2: a bad v2 (crashes on start, never ready, fails 30 % of calls) rolls back on
/// its own with a clear reason, v1's processes are never stopped, and traffic to v1 never fails.
/// </summary>
public sealed class AutomaticRollbackTests(ITestOutputHelper output)
{
    private const string Strategy = """
        steps: [{weight: 50, pause: 5s}]
        analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
        ready_deadline: 5s
        drain_timeout: 5s
        """;

    // Quick crash-loop detection, so a crashing release is known as such well before the ready deadline.
    private const string Restart = "restart: {backoff: {initial: 100ms, max: 200ms}, crash_loop: {restarts: 3, window: 1m}}";

    [Fact]
    public async Task A_v2_that_crashes_on_start_rolls_back_and_v1_never_stops()
    {
        var (done, total) = await DeployBadV2Async(new { crashOnStart = true });
        Assert.Matches("v2 failed to start: instance echo-v2-.* is crash-looping", done.Reason);
        Assert.True(total.Failed == 0, total.ToString());
    }

    [Fact]
    public async Task A_v2_that_never_becomes_ready_rolls_back_at_the_ready_deadline_and_v1_never_stops()
    {
        var (done, total) = await DeployBadV2Async(new { neverReady = true });
        Assert.Contains("v2 not ready within 5 s (0/2 ready", done.Reason, StringComparison.Ordinal);
        Assert.True(total.Failed == 0, total.ToString());
    }

    [Fact]
    public async Task A_v2_failing_30_percent_of_calls_is_rolled_back_by_the_analysis_and_only_v2_failed_calls()
    {
        var (done, total) = await DeployBadV2Async(new { failRate = 0.3 });
        Assert.Matches(@"error rate of v2 is \d+(\.\d)? ?% over [\d.]+ s \(\d+ of \d+ requests\), above the 5(\.0)? ?% allowed", done.Reason);
        Assert.StartsWith("failed: ", done.Receipt.Single(r => r.Index == 1).Verdict, StringComparison.Ordinal);
        // Every failed call was failed by v2 itself (it says so in its trailers): none by v1, none by the switch.
        Assert.True(total.Failed > 0 && total.FailedBy("v2") == total.Failed, total.ToString() + " by release: " + string.Join(", ", total.FailedVersions));
    }

    private async Task<(Deploy Done, ClientTally Total)> DeployBadV2Async(object mode)
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        await cluster.ApplyAsync(EndToEndCluster.Spec(Strategy, Restart));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var client = await cluster.StartClientAsync("client-1");
        WeightedSplit.AssertFollows(await client.WindowAsync(100), ("v1", 100));

        var deploy = await cluster.DeployAsync("v2", mode);
        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy of a bad v2 ends",
            d => Assert.True(v1.Values.All(cluster.IsAlive), $"a v1 instance died in phase {d.Phase}"));
        output.WriteLine($"reason: {done.Reason}");
        Assert.True(done.Phase == DeployPhase.RolledBack, done.ToString());

        // v1 untouched: the same processes, every one ready, all the traffic; v2 gone.
        Assert.Equal(v1, await cluster.ReadyPidsAsync("v1", expected: 2));
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync("v2"), l => l.Count == 0, "v2 instances removed");
        var status = await cluster.StatusAsync();
        Assert.Equal("v1", status.Weights.Single(w => w.Weight == 100).Version);
        var after = await client.WindowAsync(200);
        WeightedSplit.AssertFollows(after, ("v1", 100));

        var total = await client.QuitAsync();
        output.WriteLine($"total: {total}; failed by release: {string.Join(", ", total.FailedVersions)}");
        Assert.True(total.FailedBy("v1") == 0, $"v1 failed calls: {total}");
        return (done, total);
    }
}
