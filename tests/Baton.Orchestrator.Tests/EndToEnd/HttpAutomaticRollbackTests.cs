using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Issue 5: a bad v2 of the hello app (crashes on start, never ready, fails 30 % of requests) rolls back
/// on its own under HTTP traffic through a standalone baton-proxy, v1's processes are never stopped, and
/// no request fails but the ones v2 itself answered with 500.
/// </summary>
public sealed class HttpAutomaticRollbackTests(ITestOutputHelper output)
{
    private const string Strategy = """
        steps: [{weight: 50, pause: 5s}]
        analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
        ready_deadline: 5s
        drain_timeout: 5s
        """;

    // Quick crash-loop detection, so a crashing release is known as such well before the ready deadline.
    private const string Restart = "restart: {backoff: {initial: 100ms, max: 200ms}, crash_loop: {restarts: 3, window: 1m}}";

    [Fact(Timeout = 180_000)]
    public async Task A_v2_that_crashes_on_start_rolls_back_no_request_fails_and_v1_never_stops()
    {
        var (done, total) = await DeployBadV2Async(new { HELLO_CRASH_ON_START = "1" });
        Assert.Matches("v2 failed to start: instance hello-v2-.* is crash-looping", done.Reason);
        Assert.True(total.Failed == 0, total.ToString());
    }

    [Fact(Timeout = 180_000)]
    public async Task A_v2_that_never_becomes_ready_rolls_back_at_the_ready_deadline_no_request_fails_and_v1_never_stops()
    {
        var (done, total) = await DeployBadV2Async(new { HELLO_NEVER_READY = "1" });
        Assert.Contains("v2 not ready within 5 s (0/2 ready", done.Reason, StringComparison.Ordinal);
        Assert.True(total.Failed == 0, total.ToString());
    }

    [Fact(Timeout = 180_000)]
    public async Task A_v2_failing_30_percent_of_requests_is_rolled_back_by_the_analysis_of_the_proxy_load_reports_and_only_v2_failed_requests()
    {
        var (done, total) = await DeployBadV2Async(new { HELLO_FAIL_RATE = "0.3" });
        Assert.Matches(@"error rate of v2 is \d+(\.\d)? ?% over [\d.]+ s \(\d+ of \d+ requests\), above the 5(\.0)? ?% allowed", done.Reason);
        Assert.StartsWith("failed: ", done.Receipt.Single(r => r.Index == 1).Verdict, StringComparison.Ordinal);
        // Every failed request was answered by v2 itself (its 500 body names it): none by v1, none by the proxy or the switch.
        Assert.True(total.Calls.Failed > 0 && total.Calls.FailedBy("v2") == total.Calls.Failed,
            $"{total}; failed by release: {string.Join(", ", total.Calls.FailedVersions)}");
        Assert.True(total.Calls.Failures.Keys.All(k => k == "500"), total.ToString());
        Assert.True(total.LongRequests.Failed == 0, total.ToString());
    }

    private async Task<(Deploy Done, HttpLoadTotals Total)> DeployBadV2Async(object environment)
    {
        await using var cluster = await EndToEndCluster.StartAsync(output, app: EndToEndCluster.HelloApp);
        cluster.StartProxy("proxy-1");
        await cluster.ApplyAsync(cluster.HelloSpec(Strategy, Restart));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var load = await cluster.StartHttpLoadAsync();
        WeightedSplit.AssertFollows(await load.WindowAsync(100), ("v1", 100));

        var deploy = await cluster.DeployAsync("v2", environment);
        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy of a bad v2 ends",
            d => Assert.True(v1.Values.All(cluster.IsAlive), $"a v1 instance died in phase {d.Phase}"));
        output.WriteLine($"reason: {done.Reason}");
        Assert.True(done.Phase == DeployPhase.RolledBack, done.ToString());

        // v1 untouched: the same processes, every one ready, all the traffic; v2 gone.
        Assert.Equal(v1, await cluster.ReadyPidsAsync("v1", expected: 2));
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync("v2"), l => l.Count == 0, "v2 instances removed");
        var status = await cluster.StatusAsync();
        Assert.Equal("v1", status.Weights.Single(w => w.Weight == 100).Version);
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v1", 100));

        var total = await load.StopAsync();
        output.WriteLine($"total: {total}; failed by release: {string.Join(", ", total.Calls.FailedVersions)}");
        Assert.True(total.Calls.FailedBy("v1") == 0 && total.LongRequests.FailedBy("v1") == 0, $"v1 failed requests: {total}");
        Assert.True(total.LongStarted > 0 && total.LongRequests.Ok == total.LongStarted, $"a long request did not complete: {total}");
        Assert.True(total.KeptConnectionsOpened == total.KeptConnectionWorkers, $"keep-alive connections were reopened: {total}");
        return (done, total);
    }
}
