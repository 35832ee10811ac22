using Baton.Proxy.Hosting;
using Baton.Proxy.Xds;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.LoadStats.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.LoadReporting;

/// <summary>
/// The LRS client: one StreamLoadStats stream to the orchestrator. The first request carries the node;
/// the server answers with which clusters to report and how often, and may change that at any time.
/// Every interval it sends, per cluster, the requests issued, succeeded and failed since the previous
/// report and the requests in progress now. Every load-reporting cluster is reported, idle ones with
/// zeros, because the orchestrator decides a release is drained from each reporter's latest gauge.
/// </summary>
public sealed class LoadReportingClient(
    ProxyOptions options,
    LoadStats loadStats,
    ReportingClusters reportingClusters,
    TimeProvider time,
    ILogger<LoadReportingClient> logger) : BackgroundService
{
    // Totals as of the last report sent, so each report carries differences. Kept across streams: what
    // was reported to the previous stream is not reported again to the next one.
    private readonly Dictionary<string, ClusterLoadTotals> _reported = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = XdsChannel.Create(options.XdsServer);
        var client = new LoadReportingService.LoadReportingServiceClient(channel);
        await ControlPlaneStreamLoop.RunAsync("LRS", options, logger,
            (answered, ct) => RunStreamAsync(client, answered, ct), afterStream: null, stoppingToken);
    }

    private async Task RunStreamAsync(LoadReportingService.LoadReportingServiceClient client, Action instructed, CancellationToken ct)
    {
        using var streamEnd = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = client.StreamLoadStats(cancellationToken: streamEnd.Token);
        await call.RequestStream.WriteAsync(new LoadStatsRequest { Node = ProxyNode.Build(options) }, ct);
        if (!await call.ResponseStream.MoveNext(ct))
        {
            return;
        }
        instructed();
        var instructions = LoadReportInstructions.From(call.ResponseStream.Current);
        logger.LogInformation("LRS stream to {Server} established; reporting every {Interval}", options.XdsServer, instructions.Interval);

        // The server may send new instructions at any moment; the reader hands them over and wakes the loop.
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = ReadInstructionsAsync(call.ResponseStream, next =>
        {
            Volatile.Write(ref instructions, next);
            Interlocked.Exchange(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }, streamEnd.Token);

        try
        {
            var lastReportAt = time.GetTimestamp();
            while (true)
            {
                var current = Volatile.Read(ref instructions);
                var wake = Volatile.Read(ref changed).Task;
                using var tickCancel = CancellationTokenSource.CreateLinkedTokenSource(streamEnd.Token);
                var tick = Task.Delay(current.Interval, time, tickCancel.Token);
                var first = await Task.WhenAny(tick, wake, reader);
                if (first == reader)
                {
                    await reader; // the stream ended: rethrow its failure, if any
                    return;
                }
                if (first == wake)
                {
                    // A new interval takes effect from now, as Envoy restarts its timer.
                    await tickCancel.CancelAsync();
                    continue;
                }
                await tick;
                var now = time.GetTimestamp();
                await call.RequestStream.WriteAsync(BuildReport(current, time.GetElapsedTime(lastReportAt, now)), ct);
                lastReportAt = now;
            }
        }
        finally
        {
            await streamEnd.CancelAsync();
            try
            {
                await reader;
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // ended by us, above
            }
        }
    }

    private static async Task ReadInstructionsAsync(
        IAsyncStreamReader<LoadStatsResponse> responses, Action<LoadReportInstructions> onInstructions, CancellationToken ct)
    {
        while (await responses.MoveNext(ct))
        {
            onInstructions(LoadReportInstructions.From(responses.Current));
        }
    }

    /// <summary>
    /// One ClusterStats per cluster asked for. With send_all_clusters those are the load-reporting clusters
    /// of the config in force, plus any removed cluster whose requests were still moving at the last report,
    /// so its in-progress gauge is seen to reach zero.
    /// </summary>
    internal LoadStatsRequest BuildReport(LoadReportInstructions instructions, TimeSpan elapsed)
    {
        IEnumerable<string> clusters;
        if (instructions.SendAllClusters)
        {
            var names = new HashSet<string>(reportingClusters.Current, StringComparer.Ordinal);
            foreach (var load in loadStats.All)
            {
                if (!names.Contains(load.ClusterName)
                    && _reported.TryGetValue(load.ClusterName, out var last)
                    && (last.InProgress > 0 || load.Read() != last))
                {
                    names.Add(load.ClusterName);
                }
            }
            clusters = names;
        }
        else
        {
            clusters = instructions.Clusters;
        }

        var request = new LoadStatsRequest();
        var interval = Duration.FromTimeSpan(elapsed);
        foreach (var name in clusters.Order(StringComparer.Ordinal))
        {
            var totals = loadStats.For(name).Read();
            var previous = _reported.GetValueOrDefault(name);
            _reported[name] = totals;
            request.ClusterStats.Add(new ClusterStats
            {
                ClusterName = name,
                LoadReportInterval = interval,
                UpstreamLocalityStats =
                {
                    new UpstreamLocalityStats
                    {
                        Locality = new Locality(),
                        TotalIssuedRequests = totals.Issued - previous.Issued,
                        TotalSuccessfulRequests = totals.Succeeded - previous.Succeeded,
                        TotalErrorRequests = totals.Errored - previous.Errored,
                        TotalRequestsInProgress = totals.InProgress,
                    },
                },
            });
        }
        return request;
    }
}
