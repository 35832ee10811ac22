using Baton.Proxy.Configuration;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Tests.Support;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

public sealed class LoadBalancingTests
{
    [Fact]
    public async Task Round_robin_gives_each_endpoint_the_same_share()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))), Cluster("web", a, b, c)));
        using var client = proxy.NewClient();

        for (var i = 0; i < 300; i++)
        {
            (await client.GetAsync("/")).EnsureSuccessStatusCode();
        }

        Assert.Equal([100, 100, 100], new[] { a.Requests, b.Requests, c.Requests });
        Assert.Equal(new ClusterLoadTotals(300, 300, 0, 0), await proxy.SettledLoadAsync("web"));
    }

    [Fact]
    public async Task Round_robin_follows_endpoint_weights()
    {
        await using var heavy = await TestBackend.StartAsync("heavy");
        await using var light = await TestBackend.StartAsync("light");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))),
            Cluster("web", [Endpoint(heavy.Port, weight: 3), Endpoint(light.Port, weight: 1)])));
        using var client = proxy.NewClient();

        for (var i = 0; i < 200; i++)
        {
            (await client.GetAsync("/")).EnsureSuccessStatusCode();
        }

        Assert.Equal(150, heavy.Requests);
        Assert.Equal(50, light.Requests);
    }

    [Fact]
    public async Task Least_request_sends_new_requests_to_the_idle_endpoint_while_the_other_is_busy()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))),
            Cluster("web", [Endpoint(a.Port), Endpoint(b.Port)], LoadBalancingPolicy.LeastRequest)));
        using var client = proxy.NewClient();

        var held = client.GetAsync("/slow");
        await Eventually.TrueAsync(() => a.SlowEntered + b.SlowEntered == 1, "the slow request reached a backend");
        var (busy, idle) = a.SlowEntered == 1 ? (a, b) : (b, a);

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(idle.Name, await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, busy.Requests);

        busy.ReleaseSlow();
        using (var slow = await held)
        {
            slow.EnsureSuccessStatusCode();
        }
        Assert.Equal(new ClusterLoadTotals(21, 21, 0, 0), await proxy.SettledLoadAsync("web"));
    }
}
