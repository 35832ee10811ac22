using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Issue 5: the hello app's v1 → v2 canary (10/50/100) through baton-proxy under HTTP traffic: keep-alive
/// clients that never retry, long requests always in flight across every switch and the drain, and
/// clients opening a connection per request. Once through a standalone baton-proxy, once through the
/// proxy inside baton-agent (`--proxy`).
/// </summary>
public sealed class HttpCanaryDeployTests(ITestOutputHelper output)
{
    // The drain waits for the long requests v1 holds (up to 3 s): its timeout is well above, so reaching it is a failure.
    private const string Strategy = """
        steps: [{weight: 10, pause: 3s}, {weight: 50, pause: 3s}, {weight: 100}]
        analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
        drain_timeout: 20s
        rollback_window: 1s
        """;

    [Fact(Timeout = 240_000)]
    public Task Through_a_standalone_baton_proxy_the_canary_follows_each_step_fails_no_request_and_finishes_every_long_one() =>
        CanaryAsync(proxyInAgent: false);

    [Fact(Timeout = 240_000)]
    public Task Through_the_proxy_inside_baton_agent_the_canary_follows_each_step_fails_no_request_and_finishes_every_long_one() =>
        CanaryAsync(proxyInAgent: true);

    private async Task CanaryAsync(bool proxyInAgent)
    {
        await using var cluster = await EndToEndCluster.StartAsync(output, app: EndToEndCluster.HelloApp, proxyInFirstAgent: proxyInAgent);
        if (!proxyInAgent) cluster.StartProxy("proxy-1");
        await cluster.ApplyAsync(cluster.HelloSpec(Strategy));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var load = await cluster.StartHttpLoadAsync();
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v1", 100));

        var deploy = await cluster.DeployAsync("v2");
        var weights = new uint[] { 10, 50, 100 };
        var v1CheckedUntil = DeployPhase.Unspecified;
        void V1StillServes(Deploy d)
        {
            if (d.Phase is DeployPhase.Succeeded or DeployPhase.Retiring) return;
            // Until the old release is retired (after the drain), every one of its processes runs.
            Assert.True(v1.Values.All(cluster.IsAlive), $"a v1 instance is gone in phase {d.Phase}, step {d.Step}");
            v1CheckedUntil = d.Phase;
        }

        for (var step = 1; step <= weights.Length; step++)
        {
            var index = (uint)step;
            var acked = await cluster.WaitForDeployAsync(deploy.Id, d => d.Receipt.Any(r => r.Index == index && r.AckedAt is not null),
                $"step {step} ACKed", V1StillServes);
            // The proxy ACKed the step before it counted as applied: every request started now follows it.
            // Bounded in time too (the pause is 3 s), so a slow machine gives a smaller window, never one across steps.
            var window = await load.WindowAsync(400, 2000);
            Assert.True(window.Calls >= 60, $"too few requests in the window of step {step} to judge the split: {window}");
            var after = (await cluster.StatusAsync()).Deploy;
            Assert.True(after.Receipt.Count(r => r.AckedAt is not null) == step,
                $"the next step was applied before the window of step {step} ended; lengthen the pauses: {after}");
            output.WriteLine($"step {step} ({weights[step - 1]} %): {window}");
            WeightedSplit.AssertFollows(window, ("v2", weights[step - 1]), ("v1", 100 - weights[step - 1]));
            Assert.True(acked.Receipt.Single(r => r.Index == index).DataPlanes >= 1, $"step {step} counted no data plane: {acked}");
        }

        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy ends", V1StillServes);
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        Assert.True(v1CheckedUntil is DeployPhase.Shifting or DeployPhase.Draining, $"last phase with v1 checked: {v1CheckedUntil}");
        // The drain ended because the proxy reported v1 idle, not because time ran out on its long requests.
        Assert.DoesNotContain("drain timeout", done.Message, StringComparison.Ordinal);

        // v1 stays warm for the rollback window (1 s), then its processes are stopped and removed.
        await Fleet.Support.Eventually.TrueAsync(() => !v1.Values.Any(cluster.IsAlive), "v1 processes stopped after the rollback window");
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync(), l => l.All(i => i.Version == "v2"), "only v2 instances listed");
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v2", 100));

        var totals = await load.StopAsync();
        output.WriteLine($"totals: {totals}");
        Assert.True(totals.Failed == 0, $"requests failed during the deploy: {totals}");
        Assert.True(totals.LongStarted > 0 && totals.LongRequests.Ok == totals.LongStarted, $"a long request did not complete: {totals}");
        Assert.True(totals.LongRequests.Of("v1") > 0, $"no long request was answered by v1: {totals}");
        // One connection per keep-alive worker for the whole run: none was closed by a switch, and none was retried on a new one.
        Assert.True(totals.KeptConnectionsOpened == totals.KeptConnectionWorkers, $"keep-alive connections were reopened: {totals}");

        // The receipt, as `baton history hello --json` prints it, carries the proxy's load reports.
        var receipt = (await cluster.HistoryAsync()).Deploys.First(d => d.Id == deploy.Id).Receipt;
        Assert.Equal([1u, 2u, 3u], receipt.Select(r => r.Index));
        for (var i = 0; i < receipt.Count; i++)
        {
            var r = receipt[i];
            Assert.Equal(weights[i], r.Weights.Single(w => w.Version == "v2").Weight);
            Assert.Equal(100 - weights[i], r.Weights.SingleOrDefault(w => w.Version == "v1")?.Weight ?? 0);
            Assert.True(r.DataPlanes >= 1, r.ToString());
            Assert.Equal("passed", r.Verdict);
            Assert.True(r.Load.Single(l => l.Version == "v2").Requests > 0, r.ToString());
            if (weights[i] < 100) Assert.True(r.Load.Single(l => l.Version == "v1").Requests > 0, r.ToString());
            Assert.True(r.Load.All(l => l.Errors == 0), r.ToString());
        }
        output.WriteLine($"receipt: {string.Join(" | ", receipt)}");
    }
}
