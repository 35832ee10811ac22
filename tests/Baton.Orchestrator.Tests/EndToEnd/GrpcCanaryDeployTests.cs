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
    [Fact(Timeout = 240_000)]
    public async Task Through_a_standalone_baton_proxy_a_grpc_canary_follows_each_step_fails_no_call_and_finishes_every_long_one()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);
        cluster.StartProxy("proxy-1");
        await cluster.ApplyAsync(EndToEndCluster.Spec(ProxiedCanary.Strategy, publicPort: cluster.PublicPort));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var load = await cluster.StartGrpcLoadAsync();
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v1", 100));

        var deploy = await cluster.DeployAsync("v2");
        var weights = ProxiedCanary.Weights;
        await ProxiedCanary.FollowToTheEndAsync(cluster, output, deploy.Id, weights, v1, () => load.WindowAsync(400, 2000));
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v2", 100));

        var totals = await load.StopAsync();
        output.WriteLine($"totals: {totals}");
        Assert.True(totals.Failed == 0, $"calls failed during the deploy: {totals}");
        Assert.False(totals.LimitReached, $"the load stopped at its own limit before the test ended: {totals}");
        Assert.True(totals.LongStarted > 0 && totals.LongCalls.Ok == totals.LongStarted, $"a long call did not complete: {totals}");
        Assert.True(totals.LongCalls.Of("v1") > 0, $"no long call was answered by v1: {totals}");
        // One connection per channel for the whole run: none was closed by a switch, and no call was resent on a new one.
        Assert.True(totals.ChannelConnectionsOpened == totals.Channels, $"channels reopened their connection: {totals}");

        var receipt = await ProxiedCanary.AssertReceiptAsync(cluster, output, deploy.Id, weights);
        foreach (var r in receipt)
        {
            // A long call was in flight across the switch (sent before the step was applied, answered after the
            // proxy ACKed it) and completed: a new route leaves the streams already forwarded alone.
            var across = load.LongCallsAcross(r.AppliedAt.ToDateTimeOffset(), r.AckedAt.ToDateTimeOffset());
            output.WriteLine($"step {r.Index}: long calls across the switch answered by {string.Join(", ", across.Select(c => c.Outcome.Version))}");
            Assert.True(across.Count > 0 && across.All(c => c.Outcome.Ok), $"no long call completed across the switch of step {r.Index}: {string.Join("; ", across)}");
        }
    }
}
