using Baton.Proxy.Configuration;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Tests.Support;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

public sealed class DrainingTests
{
    [Fact]
    public async Task A_draining_endpoint_gets_no_new_request_and_finishes_the_one_it_has()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))), Cluster("web", a, b)));
        using var client = proxy.NewClient();

        var held = client.GetAsync("/slow");
        await Eventually.TrueAsync(() => a.SlowEntered + b.SlowEntered == 1, "the slow request reached a backend");
        var (draining, staying) = a.SlowEntered == 1 ? (a, b) : (b, a);

        await proxy.ApplyAsync(Config(Listener(proxy.Port, Split(("web", 1))),
            Cluster("web", [Endpoint(draining.Port, EndpointHealth.Draining), Endpoint(staying.Port)])));
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(staying.Name, await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, draining.Requests);
        Assert.Equal(1UL, proxy.Stats.For("web").Read().InProgress);

        draining.ReleaseSlow();
        using var slow = await held;
        slow.EnsureSuccessStatusCode();
        Assert.Equal(draining.Name, await slow.Content.ReadAsStringAsync());
        Assert.Equal(new ClusterLoadTotals(21, 21, 0, 0), await proxy.SettledLoadAsync("web"));
    }

    [Fact]
    public async Task A_request_in_flight_on_a_cluster_whose_pool_is_replaced_completes()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))), Cluster("web", backend)));
        using var client = proxy.NewClient();

        var held = client.GetAsync("/slow");
        await Eventually.TrueAsync(() => backend.SlowEntered == 1, "the slow request reached the backend");
        // A new connect timeout means a new connection pool; the old one must outlive its request.
        var changed = Cluster("web", backend) with { ConnectTimeout = TimeSpan.FromSeconds(2) };
        await proxy.ApplyAsync(Config(Listener(proxy.Port, Split(("web", 1))), changed));
        (await client.GetAsync("/")).EnsureSuccessStatusCode();

        backend.ReleaseSlow();
        using var slow = await held;
        slow.EnsureSuccessStatusCode();
        Assert.Equal(new ClusterLoadTotals(2, 2, 0, 0), await proxy.SettledLoadAsync("web"));
    }
}
