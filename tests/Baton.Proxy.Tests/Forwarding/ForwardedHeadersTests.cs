using System.Net;
using Baton.Proxy.Configuration;
using Baton.Proxy.Tests.Support;
using Baton.Proxy.Xds;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

/// <summary>What the app behind the proxy learns about its client: Envoy's x-forwarded-for and x-forwarded-proto rules.</summary>
public sealed class ForwardedHeadersTests
{
    private static readonly ForwardedHeadersConfig Edge = new(UseRemoteAddress: true, XffNumTrustedHops: 0, SkipXffAppend: false);

    private static HttpRequestMessage HeadersRequest(string? forwardedFor = null, string? forwardedProto = null, string? host = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        if (forwardedFor is not null) request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        if (forwardedProto is not null) request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", forwardedProto);
        if (host is not null) request.Headers.Host = host;
        return request;
    }

    private static async Task<DataPathUnderTest> ProxyToAsync(TestBackend backend, ForwardedHeadersConfig forwardedHeaders) =>
        await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1)), forwardedHeaders: forwardedHeaders), Cluster("web", backend)));

    [Fact]
    public async Task At_the_edge_the_app_sees_the_client_address_and_the_listeners_scheme_and_the_host_it_was_called_by()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await ProxyToAsync(backend, Edge);
        using var client = proxy.NewClient();

        var plain = await ReceivedHeaders.FetchAsync(client, HeadersRequest(host: "web.example.com:8080"));
        Assert.Equal("127.0.0.1", plain["x-forwarded-for"]);
        Assert.Equal("http", plain["x-forwarded-proto"]);
        Assert.Equal("web.example.com:8080", plain["host"]);

        // A client cannot claim https over a plain connection when nothing trusted stands in front.
        var claimed = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedProto: "https"));
        Assert.Equal("http", claimed["x-forwarded-proto"]);
    }

    [Fact]
    public async Task The_list_a_proxy_in_front_started_goes_on_with_the_peer_last()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await ProxyToAsync(backend, Edge);
        using var client = proxy.NewClient();

        var received = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedFor: "203.0.113.7, 198.51.100.2"));

        Assert.Equal("203.0.113.7, 198.51.100.2,127.0.0.1", received["x-forwarded-for"]);
    }

    [Fact]
    public async Task A_request_retried_on_another_endpoint_names_its_client_once()
    {
        await using var live = await TestBackend.StartAsync("live");
        var dead = LoopbackPorts.BelowEphemeral(); // refused: every second request is retried on the live one
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1)), forwardedHeaders: Edge),
            Cluster("web", [Endpoint(dead), Endpoint(live.Port)])));
        using var client = proxy.NewClient();

        for (var i = 0; i < 4; i++)
        {
            var received = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedFor: "203.0.113.7"));
            Assert.Equal("203.0.113.7,127.0.0.1", received["x-forwarded-for"]);
            Assert.Equal("http", received["x-forwarded-proto"]);
        }
        Assert.Equal(4, live.Requests);
    }

    [Fact]
    public async Task With_a_trusted_hop_in_front_its_x_forwarded_proto_is_believed()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await ProxyToAsync(backend, Edge with { XffNumTrustedHops = 1 });
        using var client = proxy.NewClient();

        var fromTls = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedFor: "203.0.113.7", forwardedProto: "https"));
        Assert.Equal("https", fromTls["x-forwarded-proto"]);
        Assert.Equal("203.0.113.7,127.0.0.1", fromTls["x-forwarded-for"]);

        var unset = await ReceivedHeaders.FetchAsync(client, HeadersRequest());
        Assert.Equal("http", unset["x-forwarded-proto"]);
    }

    [Fact]
    public async Task Skip_xff_append_leaves_x_forwarded_for_as_the_client_sent_it()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await ProxyToAsync(backend, Edge with { SkipXffAppend = true });
        using var client = proxy.NewClient();

        var none = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedProto: "https"));
        Assert.Null(none["x-forwarded-for"]);
        Assert.Equal("http", none["x-forwarded-proto"]);

        var some = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedFor: "203.0.113.7"));
        Assert.Equal("203.0.113.7", some["x-forwarded-for"]);
    }

    [Fact]
    public async Task Without_use_remote_address_x_forwarded_for_passes_through_and_x_forwarded_proto_is_only_filled_in()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await ProxyToAsync(backend, ForwardedHeadersConfig.EnvoyDefault);
        using var client = proxy.NewClient();

        var none = await ReceivedHeaders.FetchAsync(client, HeadersRequest());
        Assert.Null(none["x-forwarded-for"]);
        Assert.Equal("http", none["x-forwarded-proto"]);

        var relayed = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedFor: "203.0.113.7", forwardedProto: "https"));
        Assert.Equal("203.0.113.7", relayed["x-forwarded-for"]);
        Assert.Equal("https", relayed["x-forwarded-proto"]);
    }

    [Fact]
    public async Task Over_h2c_the_app_sees_its_client_as_well()
    {
        await using var backend = await TestBackend.StartAsync("h2", HttpProtocols.Http2);
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(
            Listener(port, Split(("web", 1)), DownstreamCodec.Http2, forwardedHeaders: Edge),
            Cluster("web", [Endpoint(backend.Port)], upstream: UpstreamProtocol.Http2)));
        using var client = proxy.NewClient();
        var request = HeadersRequest(forwardedFor: "203.0.113.7");
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var received = await ReceivedHeaders.FetchAsync(client, request);

        Assert.Equal("203.0.113.7,127.0.0.1", received["x-forwarded-for"]);
        Assert.Equal("http", received["x-forwarded-proto"]);
        Assert.Equal("HTTP/2", backend.LastProtocol);
    }

    [Fact]
    public async Task Behind_the_listener_the_orchestrator_serves_the_app_sees_its_client()
    {
        await using var backend = await TestBackend.StartAsync("v1");
        await using var proxy = await DataPathUnderTest.StartAsync(port =>
            ProxyConfigTranslator.Translate(Routing.Served(Routing.Http("web", port, Routing.Release("v1", 100, backend.Port)))).Config!);
        using var client = proxy.NewClient();

        var received = await ReceivedHeaders.FetchAsync(client, HeadersRequest(forwardedFor: "203.0.113.7", forwardedProto: "https"));

        Assert.Equal("203.0.113.7,127.0.0.1", received["x-forwarded-for"]);
        Assert.Equal("http", received["x-forwarded-proto"]);
    }
}
