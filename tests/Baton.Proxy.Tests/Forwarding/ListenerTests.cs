using System.Net;
using System.Net.Sockets;
using Baton.Proxy.Configuration;
using Baton.Proxy.Tests.Support;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

public sealed class ListenerTests
{
    [Fact]
    public async Task A_listener_added_serves_and_once_removed_its_port_is_closed()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var main = Listener(0, Split(("web", 1)));
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(main with { Port = port }, Cluster("web", backend)));
        main = main with { Port = proxy.Port };

        var extraPort = LoopbackPorts.BelowEphemeral();
        await proxy.ApplyAsync(Config([main, Listener(extraPort, Split(("web", 1)), name: "extra")], Cluster("web", backend)));
        using (var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{extraPort}") })
        {
            Assert.Equal("b", await client.GetStringAsync("/"));
        }

        await proxy.ApplyAsync(Config(main, Cluster("web", backend)));

        await Eventually.TrueAsync(() => TestPorts.IsClosedAsync(extraPort), $"port {extraPort} is closed");
        using var mainClient = proxy.NewClient();
        Assert.Equal("b", await mainClient.GetStringAsync("/"));
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, proxy.Port)], proxy.DataPath.BoundEndpoints);
    }

    [Fact]
    public async Task A_port_in_use_refuses_the_whole_config_and_the_previous_one_keeps_serving()
    {
        await using var v1 = await TestBackend.StartAsync("v1");
        await using var v2 = await TestBackend.StartAsync("v2");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web/v1", 1))), Cluster("web/v1", v1)));
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var takenPort = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var freePort = LoopbackPorts.BelowEphemeral();

        var error = await proxy.DataPath.ApplyAsync(Config(
            [
                Listener(proxy.Port, Split(("web/v2", 1))),
                Listener(freePort, Split(("web/v2", 1)), name: "bound-first"),
                Listener(takenPort, Split(("web/v2", 1)), name: "conflicting"),
            ],
            Cluster("web/v2", v2)), CancellationToken.None);

        Assert.NotNull(error);
        Assert.Contains("'conflicting'", error);
        Assert.Contains($"127.0.0.1:{takenPort}", error);
        // The listener bound earlier in the refused call was let go again; the old routing is untouched.
        Assert.True(await TestPorts.IsClosedAsync(freePort));
        using var client = proxy.NewClient();
        Assert.Equal("v1", await client.GetStringAsync("/"));
        Assert.Equal(0, v2.Requests);
    }

    [Fact]
    public async Task A_codec_change_rebinds_the_same_port_with_the_new_protocol()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await DataPathUnderTest.StartAsync(port => Config(Listener(port, Split(("web", 1))), Cluster("web", backend)));
        using (var h1 = proxy.NewClient())
        {
            Assert.Equal("b", await h1.GetStringAsync("/"));
        }

        await proxy.ApplyAsync(Config(Listener(proxy.Port, Split(("web", 1)), DownstreamCodec.Http2), Cluster("web", backend)));

        using var h2 = new HttpClient
        {
            BaseAddress = proxy.BaseAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await h2.GetAsync("/");
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("b", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_keep_alive_connection_carries_on_across_a_config_update_and_follows_the_new_routing()
    {
        await using var v1 = await TestBackend.StartAsync("v1");
        await using var v2 = await TestBackend.StartAsync("v2");
        await using var proxy = await DataPathUnderTest.StartAsync(port =>
            Config(Listener(port, Split(("web/v1", 1))), Cluster("web/v1", v1), Cluster("web/v2", v2)));
        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = proxy.BaseAddress };

        Assert.Equal("v1", await client.GetStringAsync("/"));
        await proxy.ApplyAsync(Config(Listener(proxy.Port, Split(("web/v2", 1))), Cluster("web/v1", v1), Cluster("web/v2", v2)));
        Assert.Equal("v2", await client.GetStringAsync("/"));
        Assert.Equal("v2", await client.GetStringAsync("/"));

        Assert.Equal(1, connections);
    }
}
