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
        await cluster.ApplyAsync(cluster.HelloSpec(ProxiedCanary.Strategy));
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var load = await cluster.StartHttpLoadAsync();
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v1", 100));

        var deploy = await cluster.DeployAsync("v2");
        var weights = ProxiedCanary.Weights;
        await ProxiedCanary.FollowToTheEndAsync(cluster, output, deploy.Id, weights, v1, () => load.WindowAsync(400, 2000));
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v2", 100));

        var totals = await load.StopAsync();
        output.WriteLine($"totals: {totals}");
        Assert.True(totals.Failed == 0, $"requests failed during the deploy: {totals}");
        Assert.True(totals.LongStarted > 0 && totals.LongRequests.Ok == totals.LongStarted, $"a long request did not complete: {totals}");
        Assert.True(totals.LongRequests.Of("v1") > 0, $"no long request was answered by v1: {totals}");
        // One connection per keep-alive worker for the whole run: none was closed by a switch, and none was retried on a new one.
        Assert.True(totals.KeptConnectionsOpened == totals.KeptConnectionWorkers, $"keep-alive connections were reopened: {totals}");

        await ProxiedCanary.AssertReceiptAsync(cluster, output, deploy.Id, weights);
    }
}
