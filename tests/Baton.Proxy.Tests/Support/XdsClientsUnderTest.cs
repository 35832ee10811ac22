using Baton.Proxy.Hosting;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Xds;

namespace Baton.Proxy.Tests.Support;

/// <summary>A baton-proxy's control-plane half (ADS and LRS clients) against a fake data path.</summary>
internal sealed class XdsClientsUnderTest : IAsyncDisposable
{
    private readonly AdsClient _ads;
    private readonly LoadReportingClient _lrs;
    private readonly ErrorRecordingLogger<AdsClient> _adsLog = new();
    private readonly ErrorRecordingLogger<LoadReportingClient> _lrsLog = new();

    private XdsClientsUnderTest(ProxyOptions options, RecordingApplier applier)
    {
        Options = options;
        Applier = applier;
        _ads = new AdsClient(options, applier, Status, ReportingClusters, _adsLog);
        _lrs = new LoadReportingClient(options, LoadStats, ReportingClusters, TimeProvider.System, _lrsLog);
    }

    public ProxyOptions Options { get; }

    public RecordingApplier Applier { get; }

    public AdsClientStatus Status { get; } = new();

    public ReportingClusters ReportingClusters { get; } = new();

    public LoadStats LoadStats { get; } = new();

    public string NodeId => Options.NodeId;

    public static async Task<XdsClientsUnderTest> StartAsync(Uri server, RecordingApplier? applier = null, string[]? apps = null)
    {
        var options = new ProxyOptions
        {
            XdsServer = server,
            NodeId = $"proxy-{Guid.NewGuid():N}",
            Apps = apps ?? [],
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        };
        var proxy = new XdsClientsUnderTest(options, applier ?? new RecordingApplier());
        await proxy._ads.StartAsync(CancellationToken.None);
        await proxy._lrs.StartAsync(CancellationToken.None);
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _ads.StopAsync(guard.Token);
        await _lrs.StopAsync(guard.Token);
        _ads.Dispose();
        _lrs.Dispose();
        // Transport failures are warnings; an error means a client hit something it did not expect.
        Assert.Empty(_adsLog.Errors);
        Assert.Empty(_lrsLog.Errors);
    }
}
