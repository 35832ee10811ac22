using System.Net;
using Baton.Orchestrator.LoadReporting;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.LoadStats.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Tests.LoadReporting;

/// <summary>The LRS server on loopback, driven by hand the way Envoy and gRPC clients report.</summary>
public sealed class LoadReportingTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new();
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;
    private LoadReportStore _store = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddBatonLoadReporting(o => o.ReportInterval = TimeSpan.FromMilliseconds(250));
        builder.Services.AddSingleton<TimeProvider>(_clock);
        _app = builder.Build();
        _app.MapBatonLoadReporting();
        await _app.StartAsync();
        _store = _app.Services.GetRequiredService<LoadReportStore>();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _channel = GrpcChannel.ForAddress(address);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _app.DisposeAsync();
    }

    private static LoadStatsRequest Report(string? node, params (string Cluster, ulong Issued, ulong Ok, ulong Errors, ulong InFlight)[] clusters)
    {
        var request = new LoadStatsRequest();
        if (node is not null) request.Node = new Node { Id = node };
        foreach (var (cluster, issued, ok, errors, inFlight) in clusters)
        {
            var stats = new ClusterStats { ClusterName = cluster };
            stats.UpstreamLocalityStats.Add(new UpstreamLocalityStats
            {
                TotalIssuedRequests = issued,
                TotalSuccessfulRequests = ok,
                TotalErrorRequests = errors,
                TotalRequestsInProgress = inFlight,
            });
            request.ClusterStats.Add(stats);
        }
        return request;
    }

    private async Task<AsyncDuplexStreamingCall<LoadStatsRequest, LoadStatsResponse>> OpenAsync(string node)
    {
        var call = new LoadReportingService.LoadReportingServiceClient(_channel).StreamLoadStats();
        await call.RequestStream.WriteAsync(Report(node));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call;
    }

    private async Task WaitForAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition()) await Task.Delay(10, guard.Token);
    }

    [Fact]
    public async Task TheServerAsksForAllClustersAtItsInterval()
    {
        using var call = new LoadReportingService.LoadReportingServiceClient(_channel).StreamLoadStats();
        await call.RequestStream.WriteAsync(Report("envoy-1"));

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.True(call.ResponseStream.Current.SendAllClusters);
        Assert.Equal(TimeSpan.FromMilliseconds(250), call.ResponseStream.Current.LoadReportingInterval.ToTimeSpan());
    }

    [Fact]
    public async Task ReportsAddUpPerReleaseAcrossDataPlanesWithinTheWindow()
    {
        using var a = await OpenAsync("envoy-a");
        using var b = await OpenAsync("envoy-b");

        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 90, 88, 2, 3), ("web/v2", 10, 7, 3, 1)));
        await b.RequestStream.WriteAsync(Report(null, ("web/v1", 50, 50, 0, 0), ("other", 5, 5, 0, 0)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Reporters == 2 && _store.Get("web", "v2", TimeSpan.FromMinutes(1)).Reporters == 1);

        var v1 = _store.Get("web", "v1", TimeSpan.FromMinutes(1));
        Assert.Equal((140ul, 138ul, 2ul, 3ul), (v1.Issued, v1.Succeeded, v1.Errors, v1.InFlight));
        var v2 = _store.Get("web", "v2", TimeSpan.FromMinutes(1));
        Assert.Equal((10ul, 7ul, 3ul, 1ul), (v2.Issued, v2.Succeeded, v2.Errors, v2.InFlight));
        Assert.Equal(0.3, v2.ErrorRate, 6);

        // Reports older than the window no longer count; the newest gauge per data plane does.
        _clock.Advance(TimeSpan.FromSeconds(61));
        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 4, 4, 0, 0)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Issued == 4);
        var later = _store.Get("web", "v1", TimeSpan.FromMinutes(1));
        Assert.Equal((4ul, 0ul, 1), (later.Issued, later.InFlight, later.Reporters));
    }

    [Fact]
    public async Task IdleIsKnownOnlyFromReportsAfterTheMoment()
    {
        using var a = await OpenAsync("envoy-a");
        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 10, 8, 0, 2)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Reporters == 1);
        var shifted = _clock.GetUtcNow();
        Assert.False(_store.IsIdleSince("web", "v1", shifted)); // nothing reported since: unknown, not idle

        _clock.Advance(TimeSpan.FromSeconds(1));
        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 0, 1, 0, 1)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Succeeded == 9);
        Assert.False(_store.IsIdleSince("web", "v1", shifted)); // still one in flight

        _clock.Advance(TimeSpan.FromSeconds(1));
        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 0, 1, 0, 0)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Succeeded == 10);
        Assert.True(_store.IsIdleSince("web", "v1", shifted));
    }

    [Fact]
    public async Task AReportThatLeavesAReleaseOutSaysNothingIsInFlightToIt()
    {
        using var a = await OpenAsync("envoy-a");
        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 10, 10, 0, 0), ("web/v2", 3, 3, 0, 0)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Reporters == 1);
        var shifted = _clock.GetUtcNow();

        _clock.Advance(TimeSpan.FromSeconds(1));
        await a.RequestStream.WriteAsync(Report(null, ("web/v2", 5, 5, 0, 0)));
        await WaitForAsync(() => _store.Get("web", "v2", TimeSpan.FromMinutes(1)).Issued == 8);

        Assert.True(_store.IsIdleSince("web", "v1", shifted));
    }

    [Fact]
    public async Task LeavingOutAReleaseWithCallsInFlightKeepsThemInFlight()
    {
        using var a = await OpenAsync("envoy-a");
        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 10, 8, 0, 2)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Reporters == 1);
        var shifted = _clock.GetUtcNow();

        // gRPC leaves out a cluster where no call started or finished, however many are in flight.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await a.RequestStream.WriteAsync(Report(null, ("web/v2", 5, 5, 0, 0)));
        await WaitForAsync(() => _store.Get("web", "v2", TimeSpan.FromMinutes(1)).Issued == 5);

        Assert.False(_store.IsIdleSince("web", "v1", shifted));
        Assert.Equal(2ul, _store.Get("web", "v1", TimeSpan.FromMinutes(1)).InFlight);
    }

    [Fact]
    public async Task WhileSomethingDrainsDataPlanesAreAskedToReportFaster()
    {
        using var a = await OpenAsync("envoy-a");
        Assert.Equal(TimeSpan.FromMilliseconds(250), a.ResponseStream.Current.LoadReportingInterval.ToTimeSpan());

        using (_store.ReportFaster())
        {
            Assert.True(await a.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(TimeSpan.FromMilliseconds(50), a.ResponseStream.Current.LoadReportingInterval.ToTimeSpan());
            Assert.True(a.ResponseStream.Current.SendAllClusters);
        }

        Assert.True(await a.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(TimeSpan.FromMilliseconds(250), a.ResponseStream.Current.LoadReportingInterval.ToTimeSpan());
    }

    [Fact]
    public async Task ADisconnectedDataPlaneNoLongerCountsAsInFlight()
    {
        var a = await OpenAsync("envoy-a");
        await a.RequestStream.WriteAsync(Report(null, ("web/v1", 5, 0, 0, 5)));
        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).InFlight == 5);

        await a.RequestStream.CompleteAsync();
        a.Dispose();

        await WaitForAsync(() => _store.Get("web", "v1", TimeSpan.FromMinutes(1)).InFlight == 0);
        Assert.Equal(5ul, _store.Get("web", "v1", TimeSpan.FromMinutes(1)).Issued);
    }

    [Fact]
    public async Task AStreamWithoutANodeIdIsRefused()
    {
        using var call = new LoadReportingService.LoadReportingServiceClient(_channel).StreamLoadStats();
        await call.RequestStream.WriteAsync(Report(null, ("web/v1", 1, 1, 0, 0)));

        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("node.id", e.Status.Detail);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow()
        {
            lock (this) return _now;
        }

        public void Advance(TimeSpan by)
        {
            lock (this) _now += by;
        }
    }
}
