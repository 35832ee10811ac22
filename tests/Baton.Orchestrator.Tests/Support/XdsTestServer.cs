using System.Net;
using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Xds;
using Envoy.Config.Core.V3;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Tests.Support;

/// <summary>The real xDS server on 127.0.0.1 with a kernel-chosen port, HTTP/2 only, as `baton server` runs it.</summary>
internal sealed class XdsTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<GrpcChannel> _channels = [];

    private XdsTestServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Publisher = app.Services.GetRequiredService<IXdsPublisher>();
        Monitor = app.Services.GetRequiredService<IXdsMonitor>();
    }

    public Uri Address { get; }

    public IXdsPublisher Publisher { get; }

    public IXdsMonitor Monitor { get; }

    public static async Task<XdsTestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddBatonXds();
        builder.Services.AddBatonLoadReporting();
        var app = builder.Build();
        app.MapBatonXds();
        app.MapBatonLoadReporting();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new XdsTestServer(app, new Uri(address));
    }

    /// <summary>A fresh connection, as each real data plane has its own.</summary>
    public GrpcChannel NewChannel()
    {
        var channel = GrpcChannel.ForAddress(Address);
        lock (_channels)
        {
            _channels.Add(channel);
        }
        return channel;
    }

    public XdsTypeStatus StatusOf(string nodeId, string typeUrl) =>
        Monitor.ListStreams().Single(s => s.NodeId == nodeId).Types.Single(t => t.TypeUrl == typeUrl);

    /// <summary>Polls the monitor until the server has processed what the test expects (ACKs arrive asynchronously).</summary>
    public async Task<XdsStreamStatus> WaitForStreamAsync(string nodeId, Func<XdsStreamStatus, bool> condition)
    {
        using var guard = new CancellationTokenSource(SotwClient.HangGuard);
        while (true)
        {
            var stream = Monitor.ListStreams().SingleOrDefault(s => s.NodeId == nodeId);
            if (stream is not null && condition(stream))
            {
                return stream;
            }
            await Task.Delay(10, guard.Token);
        }
    }

    public static Node NodeFor(string id, string cluster = "", string[]? apps = null)
    {
        var node = new Node { Id = id, Cluster = cluster };
        if (apps is not null)
        {
            node.Metadata = new Google.Protobuf.WellKnownTypes.Struct();
            node.Metadata.Fields[NodeView.AppsMetadataKey] = Google.Protobuf.WellKnownTypes.Value.ForList(
                apps.Select(Google.Protobuf.WellKnownTypes.Value.ForString).ToArray());
        }
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_channels)
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }
        }
        using (var stopGuard = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopGuard.Token);
        }
        await _app.DisposeAsync();
    }
}
