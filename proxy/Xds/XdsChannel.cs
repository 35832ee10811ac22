using Grpc.Net.Client;

namespace Baton.Proxy.Xds;

/// <summary>The gRPC channel to the orchestrator's xDS/LRS endpoint (h2c when the address is http://).</summary>
public static class XdsChannel
{
    public static GrpcChannel Create(Uri server) => GrpcChannel.ForAddress(server, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            // An orchestrator that vanished without closing the connection (host down, network cut) is
            // noticed by missed pings instead of keeping a dead stream, and with it stale config, forever.
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
        },
    });
}
