using Envoy.Config.Endpoint.V3;
using Envoy.Service.LoadStats.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Baton.Orchestrator.LoadReporting;

/// <summary>
/// The LRS server: every data plane that routes a Baton cluster opens one stream, is asked to
/// report all its clusters at the configured interval, and each report is credited to the app
/// release its cluster stands for (clusters are named <c>app/version</c>).
/// </summary>
public sealed class LoadReportingServiceImpl(LoadReportStore store, LoadReportingOptions options, ILogger<LoadReportingServiceImpl> logger)
    : LoadReportingService.LoadReportingServiceBase
{
    private long _streams;

    public override async Task StreamLoadStats(IAsyncStreamReader<LoadStatsRequest> requestStream, IServerStreamWriter<LoadStatsResponse> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken)) return;
        var nodeId = requestStream.Current.Node?.Id;
        if (string.IsNullOrEmpty(nodeId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first LoadStatsRequest must carry node.id"));

        // Two clients may share a node id (one bootstrap file for several processes); each
        // stream's in-flight gauge must stay its own.
        var reporter = $"{nodeId}#{Interlocked.Increment(ref _streams)}";
        try
        {
            await responseStream.WriteAsync(new LoadStatsResponse
            {
                SendAllClusters = true,
                LoadReportingInterval = Duration.FromTimeSpan(options.ReportInterval),
            }, context.CancellationToken);

            Record(reporter, requestStream.Current);
            while (await requestStream.MoveNext(context.CancellationToken)) Record(reporter, requestStream.Current);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The data plane went away; what it reported stays, its gauge is dropped below.
        }
        finally
        {
            store.Forget(reporter);
        }
    }

    private void Record(string reporter, LoadStatsRequest request)
    {
        foreach (var cluster in request.ClusterStats)
        {
            if (!TryParseRelease(cluster, out var app, out var version))
            {
                logger.LogDebug("Load report for cluster {Cluster} ignored: not a Baton release cluster", cluster.ClusterName);
                continue;
            }
            ulong issued = 0, succeeded = 0, errors = 0, inFlight = 0;
            foreach (var locality in cluster.UpstreamLocalityStats)
            {
                issued += locality.TotalIssuedRequests;
                succeeded += locality.TotalSuccessfulRequests;
                errors += locality.TotalErrorRequests;
                inFlight += locality.TotalRequestsInProgress;
            }
            store.Record(reporter, app, version, issued, succeeded, errors, inFlight);
        }
    }

    /// <summary>Baton clusters (and their EDS service names) are <c>app/version</c>.</summary>
    private static bool TryParseRelease(ClusterStats cluster, out string app, out string version)
    {
        foreach (var name in new[] { cluster.ClusterName, cluster.ClusterServiceName })
        {
            var slash = name.IndexOf('/');
            if (slash > 0 && slash == name.LastIndexOf('/') && slash < name.Length - 1)
            {
                app = name[..slash];
                version = name[(slash + 1)..];
                return true;
            }
        }
        app = version = "";
        return false;
    }
}
