using System.Net;
using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Xds;
using Google.Protobuf;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.Tests.Support;

/// <summary>
/// The orchestrator's real xDS (ADS) and LRS servers in process on 127.0.0.1, HTTP/2 only, as `baton server`
/// runs them. The port is chosen below the kernel's ephemeral range (32768+) so a test can stop the server
/// and start a new one on the same port without a client's outgoing connection having taken it.
/// </summary>
internal sealed class ControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private ControlPlane(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        Address = new Uri($"http://127.0.0.1:{port}");
        Publisher = app.Services.GetRequiredService<IXdsPublisher>();
        Monitor = app.Services.GetRequiredService<IXdsMonitor>();
        LoadReports = app.Services.GetRequiredService<LoadReportStore>();
    }

    public int Port { get; }

    public Uri Address { get; }

    public IXdsPublisher Publisher { get; }

    public IXdsMonitor Monitor { get; }

    public LoadReportStore LoadReports { get; }

    /// <param name="port">Null picks a free one; a port is given to restart a control plane where the proxy expects it.</param>
    /// <param name="editBuiltResource">Serves altered resources (XdsOptions.EditBuiltResource), to provoke NACKs.</param>
    /// <param name="beforeServing">Sets routing before the port opens, as a restarted orchestrator restores its store first.</param>
    public static async Task<ControlPlane> StartAsync(
        int? port = null, Action<IMessage>? editBuiltResource = null, Action<IXdsPublisher>? beforeServing = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var candidate = port ?? Random.Shared.Next(20000, 32768);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, candidate, l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddBatonXds(o => o.EditBuiltResource = editBuiltResource);
            builder.Services.AddBatonLoadReporting(o => o.ReportInterval = TimeSpan.FromMilliseconds(100));
            var app = builder.Build();
            app.MapBatonXds();
            app.MapBatonLoadReporting();
            beforeServing?.Invoke(app.Services.GetRequiredService<IXdsPublisher>());
            try
            {
                await app.StartAsync();
                return new ControlPlane(app, candidate);
            }
            catch (IOException e) when (e.InnerException is AddressInUseException && attempt < 20)
            {
                // Another test (or engineer) holds this port: try another, or wait for ours to be released.
                await app.DisposeAsync();
                if (port is not null) await Task.Delay(100);
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>The one stream of <paramref name="nodeId"/>, or null while it is not connected.</summary>
    public XdsStreamStatus? StreamOf(string nodeId) => Monitor.ListStreams().SingleOrDefault(s => s.NodeId == nodeId);

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        // Open ADS/LRS streams never end on their own: the grace period runs out and Kestrel aborts them.
        using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _app.StopAsync(guard.Token);
        }
        await _app.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
