using System.Net;
using Baton.Proxy.Configuration;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Tests.Support;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

public sealed class RoutingTests
{
    [Fact]
    public async Task Routes_by_domain_then_first_matching_prefix_and_answers_404_when_nothing_matches()
    {
        await using var api = await TestBackend.StartAsync("api");
        await using var web = await TestBackend.StartAsync("web");
        await using var fallback = await TestBackend.StartAsync("fallback");
        var routes = new RouteTable("routes",
        [
            new VirtualHostConfig("shop", ["shop.example", "*.shop.example"],
            [
                Route("api", "/api/", ("api", 1)),
                Route("web", "/", ("web", 1)),
            ]),
            new VirtualHostConfig("admin", ["admin.*"], [Route("admin-api", "/api/", ("api", 1))]),
            new VirtualHostConfig("any", ["*"], [Route("fallback", "/fallback", ("fallback", 1))]),
        ]);
        await using var proxy = await DataPathUnderTest.StartAsync(port =>
            Config(Listener(port, routes), Cluster("api", api), Cluster("web", web), Cluster("fallback", fallback)));
        using var client = proxy.NewClient();

        Assert.Equal("api", await GetAsync(client, "shop.example:8080", "/api/orders"));
        Assert.Equal("web", await GetAsync(client, "SHOP.example", "/index.html"));
        Assert.Equal("api", await GetAsync(client, "www.shop.example", "/api/x"));
        Assert.Equal("api", await GetAsync(client, "admin.internal", "/api/users"));
        Assert.Equal("fallback", await GetAsync(client, "other.example", "/fallback/1"));

        // The admin host has no route for "/", and a matched virtual host never falls through to "*".
        using var noRoute = await SendAsync(client, "admin.internal", "/");
        Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        Assert.Contains("no route", await noRoute.Content.ReadAsStringAsync());
        using var noDomainRoute = await SendAsync(client, "other.example", "/api/orders");
        Assert.Equal(HttpStatusCode.NotFound, noDomainRoute.StatusCode);
    }

    [Fact]
    public async Task Splits_requests_between_weighted_clusters_in_proportion()
    {
        await using var v1 = await TestBackend.StartAsync("v1");
        await using var v2 = await TestBackend.StartAsync("v2");
        await using var proxy = await DataPathUnderTest.StartAsync(port =>
            Config(Listener(port, Split(("web/v1", 80), ("web/v2", 20))), Cluster("web/v1", v1), Cluster("web/v2", v2)));
        using var client = proxy.NewClient();

        const int total = 1000;
        for (var i = 0; i < total; i++)
        {
            using var response = await client.GetAsync("/");
            response.EnsureSuccessStatusCode();
        }

        // Binomial(1000, 0.2): mean 200, sigma ~12.6; five sigma either way.
        var sigma = Math.Sqrt(total * 0.8 * 0.2);
        Assert.InRange(v2.Requests, 200 - 5 * sigma, 200 + 5 * sigma);
        Assert.Equal(total, v1.Requests + v2.Requests);
        Assert.Equal(new ClusterLoadTotals((ulong)v1.Requests, (ulong)v1.Requests, 0, 0), await proxy.SettledLoadAsync("web/v1"));
        Assert.Equal(new ClusterLoadTotals((ulong)v2.Requests, (ulong)v2.Requests, 0, 0), await proxy.SettledLoadAsync("web/v2"));
    }

    [Fact]
    public async Task Answers_503_saying_why_when_the_cluster_is_unknown_or_has_no_healthy_endpoint()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var routes = new RouteTable("routes",
        [
            new VirtualHostConfig("all", ["*"],
            [
                Route("empty", "/empty", ("web/empty", 1)),
                Route("draining", "/draining", ("web/draining", 1)),
                Route("unknown", "/unknown", ("web/unknown", 1)),
            ]),
        ]);
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, routes),
            Cluster("web/empty", []),
            Cluster("web/draining", [Endpoint(backend.Port, EndpointHealth.Draining), Endpoint(backend.Port + 1, EndpointHealth.Unhealthy)])));
        using var client = proxy.NewClient();

        foreach (var (path, reason) in new[] { ("/empty", "no healthy endpoint in cluster 'web/empty'"), ("/draining", "no healthy endpoint in cluster 'web/draining'"), ("/unknown", "cluster 'web/unknown' is not known") })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains(reason, await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(0, backend.Requests);
        Assert.Equal(default(ClusterLoadTotals), proxy.Stats.For("web/draining").Read());
    }

    [Fact]
    public async Task Answers_504_when_the_route_timeout_passes_before_the_upstream_answers()
    {
        await using var backend = await TestBackend.StartAsync("slow");
        var routes = new RouteTable("routes",
            [new VirtualHostConfig("all", ["*"], [new RouteConfig("slow", "/", null, [new WeightedClusterChoice("web", 1)], TimeSpan.FromMilliseconds(200), null)])]);
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, routes), Cluster("web", backend)));
        using var client = proxy.NewClient();

        using var response = await client.GetAsync("/slow");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(new ClusterLoadTotals(Issued: 1, Succeeded: 0, Errored: 1, InProgress: 0), await proxy.SettledLoadAsync("web"));
    }

    private static async Task<string> GetAsync(HttpClient client, string host, string path)
    {
        using var response = await SendAsync(client, host, path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string host, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        return client.SendAsync(request);
    }
}
