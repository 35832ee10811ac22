using System.Net;
using Baton.Proxy.Configuration;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Tests.Support;
using Baton.Proxy.Xds;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

/// <summary>
/// The route's retry_policy with real upstreams that fail without answering: one that drops the
/// connection after reading the request head, one that refuses HTTP/2 streams, and endpoints nobody
/// listens on. Round robin over two endpoints alternates, so every second request meets the failing one first.
/// </summary>
public sealed class RetryPolicyTests
{
    /// <summary>What the orchestrator serves for an app with <c>retries: 2</c>.</summary>
    private static readonly RetryConfig Served = new(ProxyConfigTranslator.ReadRetryOn("connect-failure,refused-stream,reset"), 2);

    private static RetryConfig Policy(string retryOn, uint numRetries = 1) => new(ProxyConfigTranslator.ReadRetryOn(retryOn), numRetries);

    private static async Task<DataPathUnderTest> ProxyAsync(RetryConfig? retry, ClusterConfig cluster) =>
        await DataPathUnderTest.StartAsync(port => Config(
            Listener(port, retry is null ? Split((cluster.Name, 1)) : SplitWithRetries(retry, (cluster.Name, 1))), cluster));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_reset_in_the_policy_a_get_the_endpoint_dropped_is_answered_by_another(bool orderlyClose)
    {
        await using var dropping = ResettingBackend.Start(orderlyClose ? ResettingBackend.Drop.Close : ResettingBackend.Drop.Reset);
        await using var live = await TestBackend.StartAsync("live");
        await using var proxy = await ProxyAsync(Served, Cluster("web", [Endpoint(dropping.Port), Endpoint(live.Port)]));
        using var client = proxy.NewClient();

        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync($"/get/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("live", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(10, live.Requests);
        // At least 5: after an orderly close .NET's HTTP client resends on the same endpoint by itself first.
        Assert.True(dropping.RequestHeads >= 5, $"the dropping endpoint read {dropping.RequestHeads} request heads");
        // Five requests went to the dropping endpoint first: each such attempt is counted once, as an error.
        Assert.Equal(new ClusterLoadTotals(15, 10, 5, 0), await proxy.SettledLoadAsync("web"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("connect-failure")]
    [InlineData("retriable-status-codes,5xx-but-misspelled")]
    public async Task Without_reset_in_the_policy_the_client_gets_the_502(string? retryOn)
    {
        await using var dropping = ResettingBackend.Start();
        await using var live = await TestBackend.StartAsync("live");
        await using var proxy = await ProxyAsync(retryOn is null ? null : Policy(retryOn, 3), Cluster("web", [Endpoint(dropping.Port), Endpoint(live.Port)]));
        using var client = proxy.NewClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("/");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway], statuses.Order());
        Assert.Equal((2, 2), (dropping.RequestHeads, live.Requests));
        Assert.Equal(new ClusterLoadTotals(4, 2, 2, 0), await proxy.SettledLoadAsync("web"));
    }

    [Theory]
    [InlineData(0u, 2)]
    [InlineData(2u, 0)]
    public async Task Behind_the_route_the_orchestrator_serves_the_spec_retries_decide_whether_a_dropped_get_fails(uint retries, int failed)
    {
        await using var dropping = ResettingBackend.Start();
        await using var live = await TestBackend.StartAsync("live");
        await using var proxy = await DataPathUnderTest.StartAsync(port => ProxyConfigTranslator.Translate(Routing.Served(
            Routing.Http("web", port, Routing.Release("v1", 100, dropping.Port, live.Port)) with { Retries = retries })).Config!);
        using var client = proxy.NewClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("/");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(failed, statuses.Count(s => s == HttpStatusCode.BadGateway));
        Assert.Equal(4 - failed, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(new ClusterLoadTotals(6UL - (ulong)failed, 4UL - (ulong)failed, 2, 0), await proxy.SettledLoadAsync("web/v1"));
    }

    [Fact]
    public async Task A_post_with_a_body_is_not_retried_after_a_reset_because_its_body_is_spent()
    {
        await using var dropping = ResettingBackend.Start();
        await using var live = await TestBackend.StartAsync("live");
        await using var proxy = await ProxyAsync(Served, Cluster("web", [Endpoint(dropping.Port), Endpoint(live.Port)]));
        using var client = proxy.NewClient();

        var answers = new List<(HttpStatusCode, string)>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.PostAsync("/echo", new StringContent($"payload {i}"));
            answers.Add((response.StatusCode, response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : ""));
        }

        Assert.Single(answers, a => a.Item1 == HttpStatusCode.BadGateway);
        Assert.Single(answers, a => a.Item1 == HttpStatusCode.OK && a.Item2.StartsWith("live:payload ", StringComparison.Ordinal));
        Assert.Equal((1, 1), (dropping.RequestHeads, live.Requests));
        Assert.Equal(new ClusterLoadTotals(2, 1, 1, 0), await proxy.SettledLoadAsync("web"));
    }

    [Theory]
    [InlineData("refused-stream", true)]
    [InlineData("reset", true)] // Envoy's reset covers a refused stream too
    [InlineData("connect-failure", false)]
    public async Task A_refused_http2_stream_is_retried_on_another_endpoint_when_the_policy_says_so(string retryOn, bool retried)
    {
        await using var refusing = RefusingHttp2Backend.Start();
        await using var live = await TestBackend.StartAsync("live", HttpProtocols.Http2);
        await using var proxy = await ProxyAsync(Policy(retryOn),
            Cluster("web", [Endpoint(refusing.Port), Endpoint(live.Port)], upstream: UpstreamProtocol.Http2));
        using var client = proxy.NewClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync("/");
            statuses.Add(response.StatusCode);
        }

        // One of the two requests met the refusing endpoint first.
        Assert.True(refusing.Refused >= 1, "the refusing endpoint saw no stream");
        if (retried)
        {
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], statuses);
            Assert.Equal(2, live.Requests);
            Assert.Equal(new ClusterLoadTotals(3, 2, 1, 0), await proxy.SettledLoadAsync("web"));
        }
        else
        {
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadGateway], statuses.Order());
            Assert.Equal(1, live.Requests);
            Assert.Equal(new ClusterLoadTotals(2, 1, 1, 0), await proxy.SettledLoadAsync("web"));
        }
    }

    [Fact]
    public async Task Num_retries_counts_every_retry_of_a_request()
    {
        var dropping = new[] { ResettingBackend.Start(), ResettingBackend.Start(), ResettingBackend.Start() };
        try
        {
            await using var proxy = await ProxyAsync(Policy("reset", numRetries: 1), Cluster("web", dropping.Select(d => Endpoint(d.Port))));
            using var client = proxy.NewClient();

            using var response = await client.GetAsync("/");

            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            // The first attempt and one retry: the third endpoint is never tried.
            Assert.Equal(2, dropping.Sum(d => d.RequestHeads));
            Assert.Equal(new ClusterLoadTotals(2, 0, 2, 0), await proxy.SettledLoadAsync("web"));
        }
        finally
        {
            foreach (var backend in dropping)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(null, 4)]                // always: the first attempt and 3 retries
    [InlineData("reset", 4)]             // num_retries 1 below the floor of 3
    [InlineData("connect-failure:5", 6)] // num_retries above it
    [InlineData("reset:20", 11)]         // capped at 10 retries
    public async Task Connect_failures_are_retried_three_times_always_and_up_to_num_retries_beyond(string? policy, ulong attempts)
    {
        var dead = Enumerable.Range(0, 12).Select(_ => LoopbackPorts.BelowEphemeral()).ToList(); // refused: nothing listens
        var retry = policy?.Split(':') switch
        {
            null => null,
            [var retryOn] => Policy(retryOn),
            [var retryOn, var count] => Policy(retryOn, uint.Parse(count)),
            _ => throw new ArgumentException(policy, nameof(policy)),
        };
        await using var proxy = await ProxyAsync(retry, Cluster("web", dead.Select(p => Endpoint(p))));
        using var client = proxy.NewClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(new ClusterLoadTotals(attempts, 0, attempts, 0), await proxy.SettledLoadAsync("web"));
    }
}
