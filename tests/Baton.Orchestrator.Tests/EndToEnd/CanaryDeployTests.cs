using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>Issue 4, scenario 1: v1 → v2 in steps 10/50/100 under continuous traffic, every process real.</summary>
public sealed class CanaryDeployTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_canary_from_v1_to_v2_follows_each_step_loses_no_call_retires_v1_after_draining_and_leaves_a_true_receipt()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        await cluster.ApplyAsync(EndToEndCluster.Spec("""
            steps: [{weight: 10, pause: 4s}, {weight: 50, pause: 4s}, {weight: 100}]
            analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
            drain_timeout: 10s
            rollback_window: 1s
            """));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var first = await cluster.StartClientAsync("client-1");
        var second = await cluster.StartClientAsync("client-2");
        WeightedSplit.AssertFollows(await first.WindowAsync(200), ("v1", 100));

        var deploy = await cluster.DeployAsync("v2");
        var weights = new uint[] { 10, 50, 100 };
        var v1AliveUntil = DeployPhase.Unspecified;
        void V1StillServes(Deploy d)
        {
            if (d.Phase is DeployPhase.Succeeded or DeployPhase.Retiring) return;
            // Until the old release is retired, every one of its processes runs: nothing stops it early.
            Assert.True(v1.Values.All(cluster.IsAlive), $"a v1 instance is gone in phase {d.Phase}, step {d.Step}");
            v1AliveUntil = d.Phase;
        }

        var windows = new List<ClientTally>();
        for (var step = 1; step <= weights.Length; step++)
        {
            var index = (uint)step;
            var acked = await cluster.WaitForDeployAsync(deploy.Id, d => d.Receipt.Any(r => r.Index == index && r.AckedAt is not null),
                $"step {step} ACKed", V1StillServes);
            // Both clients ACKed the step before it counted as applied: every call started now follows it.
            // Bounded in time too (the pause is 4 s), so a slow machine gives a smaller window, never one across steps.
            var window = Tallies.Sum(await Task.WhenAll(first.WindowAsync(400, 2500), second.WindowAsync(400, 2500)));
            Assert.True(window.Calls >= 60, $"too few calls in the window of step {step} to judge the split: {window}");
            var after = (await cluster.StatusAsync()).Deploy;
            Assert.True(after.Receipt.Count(r => r.AckedAt is not null) == step,
                $"the next step was applied before the window of step {step} ended; lengthen the pauses: {after}");
            output.WriteLine($"step {step} ({weights[step - 1]} %): {window}");
            WeightedSplit.AssertFollows(window, ("v2", weights[step - 1]), ("v1", 100 - weights[step - 1]));
            windows.Add(window);
            Assert.True(acked.Receipt.Single(r => r.Index == index).DataPlanes >= 2, $"step {step} counted fewer data planes than connected: {acked}");
        }

        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy ends", V1StillServes);
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        // v1 ran through every phase seen before retiring (draining can pass between two polls).
        Assert.True(v1AliveUntil is DeployPhase.Shifting or DeployPhase.Draining, $"last phase with v1 checked: {v1AliveUntil}");
        Assert.DoesNotContain("drain timeout", done.Message, StringComparison.Ordinal);

        // v1 stays warm for the rollback window (1 s), then its processes are stopped and removed.
        await Fleet.Support.Eventually.TrueAsync(() => !v1.Values.Any(cluster.IsAlive), "v1 processes stopped after the rollback window");
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync(), l => l.All(i => i.Version == "v2"), "only v2 instances listed");
        var v2 = await cluster.ReadyPidsAsync("v2", expected: 2);
        WeightedSplit.AssertFollows(await first.WindowAsync(200), ("v2", 100));

        var totals = new[] { await first.QuitAsync(), await second.QuitAsync() };
        output.WriteLine($"totals: {totals[0]} | {totals[1]}");
        foreach (var total in totals) Assert.True(total.Failed == 0, $"calls failed during the deploy: {total}");

        // The receipt, as `baton history echo --json` prints it.
        var receipt = (await cluster.HistoryAsync()).Deploys.First(d => d.Id == deploy.Id).Receipt;
        Assert.Equal([1u, 2u, 3u], receipt.Select(r => r.Index));
        for (var i = 0; i < receipt.Count; i++)
        {
            var r = receipt[i];
            Assert.Equal(weights[i], r.Weights.Single(w => w.Version == "v2").Weight);
            Assert.Equal(100 - weights[i], r.Weights.SingleOrDefault(w => w.Version == "v1")?.Weight ?? 0);
            Assert.True(r.AppliedAt is not null && r.AckedAt is not null && r.AckedAt.ToDateTimeOffset() >= r.AppliedAt.ToDateTimeOffset(), r.ToString());
            Assert.True(r.DataPlanes >= 1, r.ToString());
            Assert.Equal("passed", r.Verdict);
            Assert.True(r.Load.Single(l => l.Version == "v2").Requests > 0, r.ToString());
            if (weights[i] < 100) Assert.True(r.Load.Single(l => l.Version == "v1").Requests > 0, r.ToString());
            Assert.True(r.Load.All(l => l.Errors == 0), r.ToString());
        }
        output.WriteLine($"receipt: {string.Join(" | ", receipt)}; v2 pids {string.Join(",", v2.Values)}");
    }
}
