using Baton.Orchestrator.Tests.Conformance;
using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Issue 5: `baton server` SIGKILLed while HTTP traffic flows through a standalone baton-proxy: the proxy
/// keeps routing on its last config, then reconnects to the restarted server and follows the next deploy.
/// </summary>
public sealed class HttpOrchestratorDownTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task With_the_server_killed_the_proxy_keeps_serving_its_last_config_then_reconnects_and_follows_a_deploy_without_a_failed_request()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output, app: EndToEndCluster.HelloApp);
        var proxy = cluster.StartProxy("proxy-1");
        await cluster.ApplyAsync(cluster.HelloSpec("""
            steps: [{weight: 50, pause: 2s}, {weight: 100}]
            drain_timeout: 20s
            rollback_window: 1s
            """));
        await cluster.DeployToEndAsync("v1");
        var load = await cluster.StartHttpLoadAsync();
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v1", 100));

        cluster.Server.Kill();
        // No control plane for a few seconds: every request started meanwhile is still answered by v1.
        var whileDown = await load.WindowAsync(int.MaxValue, 3000);
        output.WriteLine($"while the server is down: {whileDown}");
        Assert.True(whileDown.Calls >= 100, $"too few requests while the server was down: {whileDown}");
        WeightedSplit.AssertFollows(whileDown, ("v1", 100));
        Assert.False(proxy.HasExited, "baton-proxy exited when the server went away");

        await cluster.Server.RestartAsync();
        // The proxy reconnects on its own (with backoff); a step applied before would not wait for its ACK.
        await cluster.WaitForDataPlaneAsync(proxy.Node);
        var deploy = await cluster.DeployAsync("v2");
        // The proxy is back on the restarted server: it ACKs the step and then routes by it.
        var acked = await cluster.WaitForDeployAsync(deploy.Id, d => d.Receipt.Any(r => r.Index == 1 && r.AckedAt is not null), "step 1 ACKed");
        Assert.True(acked.Receipt.Single(r => r.Index == 1).DataPlanes >= 1, $"step 1 counted no data plane: the proxy did not reconnect: {acked}");
        var split = await load.WindowAsync(400, 1500);
        output.WriteLine($"step 1 (50 %): {split}");
        WeightedSplit.AssertFollows(split, ("v2", 50), ("v1", 50));

        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy after the restart ends");
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        WeightedSplit.AssertFollows(await load.WindowAsync(200), ("v2", 100));

        var totals = await load.StopAsync();
        output.WriteLine($"totals: {totals}");
        Assert.True(totals.Failed == 0, $"requests failed: {totals}");
        Assert.True(totals.LongStarted > 0 && totals.LongRequests.Ok == totals.LongStarted, $"a long request did not complete: {totals}");
        Assert.True(totals.KeptConnectionsOpened == totals.KeptConnectionWorkers, $"keep-alive connections were reopened: {totals}");
    }

    [Fact(Timeout = 180_000)]
    public async Task A_deploy_resumed_by_a_restarted_server_waits_for_the_proxy_that_followed_it_before_shifting()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output, app: EndToEndCluster.HelloApp);
        var first = cluster.StartProxy("proxy-1");
        await cluster.ApplyAsync(cluster.HelloSpec("""
            steps: [{weight: 50, pause: 1s}, {weight: 100}]
            drain_timeout: 10s
            ack_timeout: 60s
            """));
        await cluster.DeployToEndAsync("v1");
        await cluster.WaitForDataPlaneAsync(first.Node);

        // The deploy of v2 is planned while the proxy follows the app; then the server dies before any
        // step, and the proxy goes too (a data plane still reconnecting when the server comes back).
        var deploy = await cluster.DeployAsync("v2");
        await cluster.WaitForDeployAsync(deploy.Id, d => d.Phase != DeployPhase.Pending, "the deploy planned");
        cluster.Server.Kill();
        await first.DisposeAsync();
        await cluster.Server.RestartAsync();

        // Nothing shifts while the proxy is away: a step "ACKed by no data plane" would move weights past it.
        var deadline = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < deadline)
        {
            var status = await cluster.StatusAsync();
            Assert.True(status.Deploy.Receipt.All(r => r.AckedAt is null || r.DataPlanes >= 1),
                $"a step counted as applied without the proxy that followed the deploy: {status.Deploy}");
            await Task.Delay(200);
        }

        var back = cluster.StartProxy("proxy-1");
        var done = await cluster.WaitForDeployAsync(deploy.Id, EndToEndCluster.DeployFinished, "the deploy ends once the proxy is back");
        Assert.True(done.Phase == DeployPhase.Succeeded, done.ToString());
        Assert.All(done.Receipt, r => Assert.True(r.DataPlanes >= 1, $"step {r.Index} counted no data plane: {done}"));
        Assert.False(back.HasExited, "baton-proxy exited");
    }
}
