using System.Collections.Concurrent;
using System.Net;
using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Xds;
using Envoy.Config.Cluster.V3;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Tests.Conformance;

/// <summary>
/// The real xDS (ADS) and LRS server on 127.0.0.1, as `baton server` hosts them, that can be stopped and
/// started again on the same port with the same routing (what a restarted orchestrator rebuilds from its
/// store), and that can be told to serve a cluster the clients must reject.
/// </summary>
internal sealed class ConformanceControlPlane : IAsyncDisposable
{
    /// <summary>How long a weight step may wait for ACKs; a guard against hangs, not a timing assertion.</summary>
    public static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, AppRouting> _routing = new(StringComparer.Ordinal);
    private volatile string? _rejectableCluster;
    private WebApplication? _app;

    private ConformanceControlPlane()
    {
    }

    public int Port { get; private set; }

    public string ServerUri => $"127.0.0.1:{Port}";

    public IXdsPublisher Publisher => Services.GetRequiredService<IXdsPublisher>();

    public IXdsMonitor Monitor => Services.GetRequiredService<IXdsMonitor>();

    public ILoadReports LoadReports => Services.GetRequiredService<ILoadReports>();

    private IServiceProvider Services => (_app ?? throw new InvalidOperationException("the control plane is stopped")).Services;

    public static async Task<ConformanceControlPlane> StartAsync()
    {
        var plane = new ConformanceControlPlane();
        await plane.StartOnAsync(0);
        return plane;
    }

    /// <summary>
    /// From now on the named cluster is built with lb_policy MAGLEV, which neither gRPC client implements, so
    /// each must NACK it; null serves every cluster as Baton builds it again.
    /// </summary>
    public void ServeUnsupportedLbPolicyFor(string? clusterName) => _rejectableCluster = clusterName;

    /// <summary>Applies the routing and waits for the data planes' ACKs (or a NACK).</summary>
    public Task<WeightConfirmation> ApplyAsync(AppRouting app)
    {
        _routing[app.Name] = app;
        return Publisher.ApplyAndConfirmAsync(app, ConfirmTimeout, CancellationToken.None);
    }

    /// <summary>Stops the host the way a crashing or redeployed orchestrator goes: open streams are cut.</summary>
    public async Task StopAsync()
    {
        var app = _app ?? throw new InvalidOperationException("the control plane is already stopped");
        _app = null;
        // A short grace: the ADS and LRS streams never end on their own, so Kestrel aborts them after it.
        using (var stopGuard = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            await app.StopAsync(stopGuard.Token);
        }
        await app.DisposeAsync();
    }

    /// <summary>A new host on the same port, fed the same routing again.</summary>
    public async Task RestartAsync()
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("the control plane is running");
        }
        await StartOnAsync(Port);
        foreach (var app in _routing.Values)
        {
            Publisher.SetApp(app);
        }
    }

    /// <summary>The open stream of a node, or null.</summary>
    public XdsStreamStatus? StreamOf(string nodeId) => Monitor.ListStreams().SingleOrDefault(s => s.NodeId == nodeId);

    private async Task StartOnAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddBatonXds(o => o.EditBuiltResource = BreakRejectableCluster);
        // Short, so load reports arrive within a second of the calls they count.
        builder.Services.AddBatonLoadReporting(o => o.ReportInterval = TimeSpan.FromMilliseconds(250));
        var app = builder.Build();
        app.MapBatonXds();
        app.MapBatonLoadReporting();
        await app.StartAsync();
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        _app = app;
    }

    private void BreakRejectableCluster(IMessage resource)
    {
        if (resource is Cluster cluster && cluster.Name == _rejectableCluster)
        {
            cluster.LbPolicy = Cluster.Types.LbPolicy.Maglev;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await StopAsync();
        }
    }
}
