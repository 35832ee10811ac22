using Baton.Proxy.Hosting;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Tests.Support;
using Envoy.Service.LoadStats.V3;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Proxy.Tests.LoadReporting;

public sealed class LoadReportingClientTests
{
    private static readonly LoadReportInstructions All = new(true, new HashSet<string>(), TimeSpan.FromSeconds(1));

    private static (ulong Issued, ulong Succeeded, ulong Errors, ulong InProgress) Stats(LoadStatsRequest report, string cluster)
    {
        var locality = report.ClusterStats.Single(c => c.ClusterName == cluster).UpstreamLocalityStats.Single();
        return (locality.TotalIssuedRequests, locality.TotalSuccessfulRequests, locality.TotalErrorRequests, locality.TotalRequestsInProgress);
    }

    [Fact]
    public void Reports_carry_differences_the_gauge_and_every_reporting_cluster_even_idle()
    {
        var stats = new LoadStats();
        var clusters = new ReportingClusters();
        clusters.Replace(["web/v1", "web/v2"]);
        var client = new LoadReportingClient(new ProxyOptions(), stats, clusters, TimeProvider.System, NullLogger<LoadReportingClient>.Instance);
        var v1 = stats.For("web/v1");
        v1.Started();
        v1.Started();
        v1.Completed(error: false);

        var first = client.BuildReport(All, TimeSpan.FromMilliseconds(1200));
        Assert.Equal(["web/v1", "web/v2"], first.ClusterStats.Select(c => c.ClusterName));
        Assert.Equal((2ul, 1ul, 0ul, 1ul), Stats(first, "web/v1"));
        Assert.Equal((0ul, 0ul, 0ul, 0ul), Stats(first, "web/v2"));
        Assert.Equal(TimeSpan.FromMilliseconds(1200), first.ClusterStats[0].LoadReportInterval.ToTimeSpan());

        v1.Completed(error: true);
        var second = client.BuildReport(All, TimeSpan.FromSeconds(1));
        Assert.Equal((0ul, 0ul, 1ul, 0ul), Stats(second, "web/v1"));
    }

    [Fact]
    public void A_removed_cluster_is_reported_until_its_requests_have_finished()
    {
        var stats = new LoadStats();
        var clusters = new ReportingClusters();
        clusters.Replace(["web/v1"]);
        var client = new LoadReportingClient(new ProxyOptions(), stats, clusters, TimeProvider.System, NullLogger<LoadReportingClient>.Instance);
        stats.For("web/v1").Started();
        client.BuildReport(All, TimeSpan.FromSeconds(1));

        clusters.Replace(["web/v2"]);
        var stillBusy = client.BuildReport(All, TimeSpan.FromSeconds(1));
        Assert.Equal((0ul, 0ul, 0ul, 1ul), Stats(stillBusy, "web/v1"));

        stats.For("web/v1").Completed(error: false);
        var finished = client.BuildReport(All, TimeSpan.FromSeconds(1));
        Assert.Equal((0ul, 1ul, 0ul, 0ul), Stats(finished, "web/v1"));

        var gone = client.BuildReport(All, TimeSpan.FromSeconds(1));
        Assert.Equal(["web/v2"], gone.ClusterStats.Select(c => c.ClusterName));
    }

    [Fact]
    public void Only_the_listed_clusters_when_the_server_names_them()
    {
        var stats = new LoadStats();
        var clusters = new ReportingClusters();
        clusters.Replace(["web/v1", "web/v2"]);
        var client = new LoadReportingClient(new ProxyOptions(), stats, clusters, TimeProvider.System, NullLogger<LoadReportingClient>.Instance);

        var report = client.BuildReport(new LoadReportInstructions(false, new HashSet<string> { "web/v2" }, TimeSpan.FromSeconds(1)), TimeSpan.FromSeconds(1));

        Assert.Equal(["web/v2"], report.ClusterStats.Select(c => c.ClusterName));
    }

    [Fact]
    public async Task Counters_reach_the_orchestrators_load_report_store_and_idle_is_known_once_nothing_is_in_flight()
    {
        await using var server = await ControlPlane.StartAsync();
        await using var proxy = await XdsClientsUnderTest.StartAsync(server.Address);
        server.Publisher.SetApp(Routing.Http("web", 18080, Routing.Release("v1", 100, 21001)));
        await Eventually.TrueAsync(() => proxy.ReportingClusters.Current.Contains("web/v1"), "web/v1 known as a load-reporting cluster");

        var load = proxy.LoadStats.For("web/v1");
        load.Started();
        load.Started();
        load.Started();
        load.Completed(error: false);
        load.Completed(error: true);
        await Eventually.TrueAsync(() => server.LoadReports.Get("web", "v1", TimeSpan.FromMinutes(1)) is { Issued: 3, Succeeded: 1, Errors: 1, InFlight: 1 },
            "the counters reported to the orchestrator");
        var since = DateTimeOffset.UtcNow;
        Assert.False(server.LoadReports.IsIdleSince("web", "v1", since));

        load.Completed(error: false);
        await Eventually.TrueAsync(() => server.LoadReports.IsIdleSince("web", "v1", since), "web/v1 idle once its last request finished");
        var total = server.LoadReports.Get("web", "v1", TimeSpan.FromMinutes(1));
        Assert.Equal((3ul, 2ul, 1ul, 0ul, 1), (total.Issued, total.Succeeded, total.Errors, total.InFlight, total.Reporters));
    }
}
