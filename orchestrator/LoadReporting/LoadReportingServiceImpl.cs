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
public sealed class LoadReportingServiceImpl(LoadReportStore store, LoadReportCadence cadence, ILogger<LoadReportingServiceImpl> logger)
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
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var interval = cadence.Interval;
        await responseStream.WriteAsync(Ask(interval), context.CancellationToken);
        // The only writer from here on: tells the data plane each change of the reporting interval.
        var retune = RetuneAsync(responseStream, interval, done.Token);
        try
        {
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
            await done.CancelAsync();
            await retune;
        }
    }

    private async Task RetuneAsync(IServerStreamWriter<LoadStatsResponse> responses, TimeSpan sent, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await cadence.Changed.WaitAsync(ct);
                var interval = cadence.Interval;
                if (interval == sent) continue;
                await responses.WriteAsync(Ask(interval), ct);
                sent = interval;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the stream ended
        }
        catch (InvalidOperationException e)
        {
            // The call completed between the change and the write: nothing left to tell.
            logger.LogDebug("LRS stream closed before a new interval could be sent: {Error}", e.Message);
        }
    }

    private static LoadStatsResponse Ask(TimeSpan interval) => new()
    {
        SendAllClusters = true,
        LoadReportingInterval = Duration.FromTimeSpan(interval),
    };

    private void Record(string reporter, LoadStatsRequest request)
    {
        store.Reported(reporter);
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
