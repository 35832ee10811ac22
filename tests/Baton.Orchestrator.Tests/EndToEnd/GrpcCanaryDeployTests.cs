using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// The echo app (gRPC) deployed v1 → v2 in a canary (10/50/100) through a standalone baton-proxy, which
/// serves the app's HTTP/2 listener and h2c clusters with socket I/O inline on the epoll threads, under
/// Grpc.Net.Client traffic: channels that keep one connection and never retry, calls held for seconds
/// always in flight across every switch and the drain, and calls on a new connection each.
/// </summary>
public sealed class GrpcCanaryDeployTests(ITestOutputHelper output)
{
    // The drain waits for the long calls v1 holds (up to 3 s): its timeout is well above, so reaching it is a failure.
    private const string Strategy = """
        steps: [{weight: 10, pause: 3s}, {weight: 50, pause: 3s}, {weight: 100}]
        analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
        drain_timeout: 20s
        rollback_window: 1s
        """;

    [Fact(Timeout = 240_000)]
    public async Task Through_a_standalone_baton_proxy_a_grpc_canary_follows_each_step_fails_no_call_and_finishes_every_long_one()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        cluster.StartProxy("proxy-1");
        await cluster.ApplyAsync(EndToEndCluster.Spec(Strategy, publicPort: cluster.PublicPort));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var load = await cluster.StartGrpcLoadAsync();
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
            // The proxy ACKed the step before it counted as applied: every call started now follows it.
            // Bounded in time too (the pause is 3 s), so a slow machine gives a smaller window, never one across steps.
            var window = await load.WindowAsync(400, 2000);
            Assert.True(window.Calls >= 60, $"too few calls in the window of step {step} to judge the split: {window}");
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
        // The drain ended because the proxy reported v1 idle, not because time ran out on its long calls.
        Assert.DoesNotContain("drain timeout", done.Message, StringComparison.Ordinal);

        // v1 stays warm for the rollback window (1 s), then its processes are stopped and removed.
        await Fleet.Support.Eventually.TrueAsync(() => !v1.Values.Any(cluster.IsAlive), "v1 processes stopped after the rollback window");
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync(), l => l.All(i => i.Version == "v2"), "only v2 instances listed");
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v2", 100));

        var totals = await load.StopAsync();
        output.WriteLine($"totals: {totals}");
        Assert.True(totals.Failed == 0, $"calls failed during the deploy: {totals}");
        Assert.False(totals.LimitReached, $"the load stopped at its own limit before the test ended: {totals}");
        Assert.True(totals.LongStarted > 0 && totals.LongCalls.Ok == totals.LongStarted, $"a long call did not complete: {totals}");
        Assert.True(totals.LongCalls.Of("v1") > 0, $"no long call was answered by v1: {totals}");
        // One connection per channel for the whole run: none was closed by a switch, and no call was resent on a new one.
        Assert.True(totals.ChannelConnectionsOpened == totals.Channels, $"channels reopened their connection: {totals}");

        // The receipt, as `baton history echo --json` prints it, carries the proxy's load reports.
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
            // A long call was in flight across the switch (sent before the step was applied, answered after the
            // proxy ACKed it) and completed: a new route leaves the streams already forwarded alone.
            var across = load.LongCallsAcross(r.AppliedAt.ToDateTimeOffset(), r.AckedAt.ToDateTimeOffset());
            output.WriteLine($"step {r.Index}: long calls across the switch answered by {string.Join(", ", across.Select(c => c.Outcome.Version))}");
            Assert.True(across.Count > 0 && across.All(c => c.Outcome.Ok), $"no long call completed across the switch of step {r.Index}: {string.Join("; ", across)}");
        }
        output.WriteLine($"receipt: {string.Join(" | ", receipt)}");
    }
}
