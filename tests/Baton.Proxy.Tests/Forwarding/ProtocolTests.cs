using System.Net;
using Baton.Proxy.Configuration;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Tests.Grpc;
using Baton.Proxy.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

public sealed class ProtocolTests
{
    [Fact]
    public async Task Forwards_h2c_prior_knowledge_downstream_to_an_h2c_cluster()
    {
        await using var backend = await TestBackend.StartAsync("h2", HttpProtocols.Http2);
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1)), DownstreamCodec.Http2),
            Cluster("web", [Endpoint(backend.Port)], upstream: UpstreamProtocol.Http2)));
        using var client = new HttpClient
        {
            BaseAddress = proxy.BaseAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("h2", await response.Content.ReadAsStringAsync());
        Assert.Equal("HTTP/2", backend.LastProtocol);
    }

    [Fact]
    public async Task Forwards_grpc_unary_and_server_streaming_calls_and_counts_server_failures()
    {
        await using var backend = await GrpcTestBackend.StartAsync("grpc-1");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("echo", 1)), DownstreamCodec.Http2),
            Cluster("echo", [Endpoint(backend.Port)], upstream: UpstreamProtocol.Http2)));
        using var channel = GrpcChannel.ForAddress(proxy.BaseAddress);
        var client = new TestEcho.TestEchoClient(channel);

        var reply = await client.EchoAsync(new EchoRequest { Text = "hello" });
        Assert.Equal(("hello", "grpc-1"), (reply.Text, reply.Backend));

        using var stream = client.Count(new CountRequest { Count = 5 });
        var texts = new List<string>();
        await foreach (var item in stream.ResponseStream.ReadAllAsync())
        {
            texts.Add(item.Text);
        }
        Assert.Equal(["1", "2", "3", "4", "5"], texts);

        var failure = await Assert.ThrowsAsync<RpcException>(async () => await client.FailAsync(new EchoRequest()));
        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);

        Assert.Equal(new ClusterLoadTotals(3, 2, 1, 0), await proxy.SettledLoadAsync("echo"));
    }

    [Fact]
    public async Task Kestrel_serves_only_http1_on_a_cleartext_endpoint_open_to_http1_and_http2()
    {
        // Why the Auto codec binds HTTP/1.1 and gRPC listeners are served as HTTP2: without TLS there is
        // no ALPN, and Kestrel does not sniff the HTTP/2 preface, so prior-knowledge HTTP/2 fails there.
        await using var backend = await TestBackend.StartAsync("both", HttpProtocols.Http1AndHttp2);
        using var h2Client = new HttpClient
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var h1Client = new HttpClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => h2Client.GetAsync($"http://127.0.0.1:{backend.Port}/"));
        using var h1 = await h1Client.GetAsync($"http://127.0.0.1:{backend.Port}/");
        Assert.Equal(HttpVersion.Version11, h1.Version);
    }
}
