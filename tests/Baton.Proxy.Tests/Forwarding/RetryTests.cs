using System.Net;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Tests.Support;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

public sealed class RetryTests
{
    [Fact]
    public async Task A_refused_endpoint_is_retried_on_another_without_the_client_seeing_an_error()
    {
        await using var live = await TestBackend.StartAsync("live");
        var dead = LoopbackPorts.BelowEphemeral(); // nothing listens there: connections are refused
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))),
            Cluster("web", [Endpoint(dead), Endpoint(live.Port)])));
        using var client = proxy.NewClient();

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("live", await response.Content.ReadAsStringAsync());
        }

        // Round robin sent every second request to the dead endpoint first: each such attempt is an error.
        var load = await proxy.SettledLoadAsync("web");
        Assert.Equal(20, live.Requests);
        Assert.Equal(new ClusterLoadTotals(30, 20, 10, 0), load);
    }

    [Fact]
    public async Task A_retried_request_reaches_the_other_endpoint_with_its_body_intact()
    {
        await using var live = await TestBackend.StartAsync("live");
        var dead = LoopbackPorts.BelowEphemeral();
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))),
            Cluster("web", [Endpoint(dead), Endpoint(live.Port)])));
        using var client = proxy.NewClient();

        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostAsync("/echo", new StringContent($"payload {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"live:payload {i}", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(new ClusterLoadTotals(6, 4, 2, 0), await proxy.SettledLoadAsync("web"));
    }

    [Fact]
    public async Task With_every_endpoint_refusing_the_client_gets_502_after_each_was_tried_once()
    {
        var dead = new[] { LoopbackPorts.BelowEphemeral(), LoopbackPorts.BelowEphemeral() };
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))),
            Cluster("web", dead.Select(p => Endpoint(p)))));
        using var client = proxy.NewClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(new ClusterLoadTotals(2, 0, 2, 0), await proxy.SettledLoadAsync("web"));
    }

    [Fact]
    public async Task Server_errors_are_passed_through_not_retried_and_counted_as_errors()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))), Cluster("web", a, b)));
        using var client = proxy.NewClient();

        using (var failed = await client.GetAsync("/status/500"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }
        using (var notFound = await client.GetAsync("/status/404"))
        {
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        }

        Assert.Equal(2, a.Requests + b.Requests);
        Assert.Equal(new ClusterLoadTotals(2, 1, 1, 0), await proxy.SettledLoadAsync("web"));
    }
}
