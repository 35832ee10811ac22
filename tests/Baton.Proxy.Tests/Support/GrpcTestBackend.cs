using System.Net;
using Baton.Proxy.Tests.Grpc;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.Tests.Support;

/// <summary>A Grpc.AspNetCore server on 127.0.0.1 speaking h2c, as a gRPC app behind the proxy does.</summary>
internal sealed class GrpcTestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcTestBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<GrpcTestBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new EchoService(name));
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        return new GrpcTestBackend(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        using (var stopGuard = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopGuard.Token);
        }
        await _app.DisposeAsync();
    }

    private sealed class EchoService(string name) : TestEcho.TestEchoBase
    {
        public override Task<EchoReply> Echo(EchoRequest request, ServerCallContext context) =>
            Task.FromResult(new EchoReply { Text = request.Text, Backend = name });

        public override async Task Count(CountRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
        {
            for (var i = 1; i <= request.Count; i++)
            {
                await responseStream.WriteAsync(new EchoReply { Text = i.ToString(), Backend = name });
            }
        }

        public override Task<EchoReply> Fail(EchoRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Unavailable, "failing on purpose"));
    }
}
