using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// The checks both proxied canary tests (HTTP through hello, gRPC through echo) make of a v1 → v2
/// deploy through baton-proxy: each step's traffic follows its weights once the proxy ACKed it, v1
/// keeps running until it is retired, the drain ends on the proxy's load reports, and the receipt
/// carries the weights and the proxy's counts.
/// </summary>
internal static class ProxiedCanary
{
    /// <summary>
    /// 10 → 50 → 100 with 3 s pauses (long enough for a window of calls per step). The drain waits for
    /// the long calls v1 holds (up to 3 s): its timeout is well above, so reaching it is a failure.
    /// </summary>
    public const string Strategy = """
        steps: [{weight: 10, pause: 3s}, {weight: 50, pause: 3s}, {weight: 100}]
        analysis: {max_error_rate: 0.05, min_requests: 20, window: 2s}
        drain_timeout: 20s
        rollback_window: 1s
        """;

    /// <summary>v2's weight at each step of <see cref="Strategy"/>.</summary>
    public static IReadOnlyList<uint> Weights { get; } = [10, 50, 100];

    /// <summary>
    /// Follows <paramref name="deployId"/> step by step to its end, judging the split of each step on
    /// <paramref name="window"/> (the load's next calls, bounded in time so a window never spans two steps).
    /// </summary>
    /// <returns>The finished deploy (succeeded; its v1 processes stopped; only v2 listed).</returns>
    public static async Task<Deploy> FollowToTheEndAsync(
        EndToEndCluster cluster, ITestOutputHelper output, string deployId, IReadOnlyList<uint> weights,
        IReadOnlyDictionary<string, int> v1, Func<Task<ClientTally>> window)
    {
        var v1CheckedUntil = DeployPhase.Unspecified;
        void V1StillServes(Deploy d)
        {
            if (d.Phase is DeployPhase.Succeeded or DeployPhase.Retiring) return;
            // Until the old release is retired (after the drain), every one of its processes runs.
            Assert.True(v1.Values.All(cluster.IsAlive), $"a v1 instance is gone in phase {d.Phase}, step {d.Step}");
            v1CheckedUntil = d.Phase;
        }

        for (var step = 1; step <= weights.Count; step++)
        {
            var index = (uint)step;
            var acked = await cluster.WaitForDeployAsync(deployId, d => d.Receipt.Any(r => r.Index == index && r.AckedAt is not null),
                $"step {step} ACKed", V1StillServes);
            // The proxy ACKed the step before it counted as applied: every call started now follows it.
            var tally = await window();
            Assert.True(tally.Calls >= 60, $"too few calls in the window of step {step} to judge the split: {tally}");
            var after = (await cluster.StatusAsync()).Deploy;
            Assert.True(after.Receipt.Count(r => r.AckedAt is not null) == step,
                $"the next step was applied before the window of step {step} ended; lengthen the pauses: {after}");
            output.WriteLine($"step {step} ({weights[step - 1]} %): {tally}");
            WeightedSplit.AssertFollows(tally, ("v2", weights[step - 1]), ("v1", 100 - weights[step - 1]));
            Assert.True(acked.Receipt.Single(r => r.Index == index).DataPlanes >= 1, $"step {step} counted no data plane: {acked}");
        }

        var done = await cluster.WaitForDeployAsync(deployId, EndToEndCluster.DeployFinished, "the deploy ends", V1StillServes);
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        Assert.True(v1CheckedUntil is DeployPhase.Shifting or DeployPhase.Draining, $"last phase with v1 checked: {v1CheckedUntil}");
        // The drain ended because the proxy reported v1 idle, not because time ran out on its long calls.
        Assert.DoesNotContain("drain timeout", done.Message, StringComparison.Ordinal);

        // v1 stays warm for the rollback window, then its processes are stopped and removed.
        await Fleet.Support.Eventually.TrueAsync(() => !v1.Values.Any(cluster.IsAlive), "v1 processes stopped after the rollback window");
        await Fleet.Support.Eventually.MatchAsync(() => cluster.InstancesAsync(), l => l.All(i => i.Version == "v2"), "only v2 instances listed");
        return done;
    }

    /// <summary>The receipt of <paramref name="deployId"/>, as `baton history APP --json` prints it, checked against the weights and the proxy's load reports.</summary>
    public static async Task<IReadOnlyList<StepReceipt>> AssertReceiptAsync(EndToEndCluster cluster, ITestOutputHelper output, string deployId, IReadOnlyList<uint> weights)
    {
        var receipt = (await cluster.HistoryAsync()).Deploys.First(d => d.Id == deployId).Receipt;
        output.WriteLine($"receipt: {string.Join(" | ", receipt)}");
        Assert.Equal(Enumerable.Range(1, weights.Count).Select(i => (uint)i), receipt.Select(r => r.Index));
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
        return receipt;
    }
}
