using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// ADS over gRPC, state of the world and incremental. Each call reads requests on its own and writes
/// through its stream's single worker; a failure or a bad request ends that call only.
/// </summary>
internal sealed class AggregatedDiscoveryServiceImpl : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    private readonly SnapshotCache _cache;
    private readonly StreamRegistry _streams;
    private readonly XdsPublisher _publisher;
    private readonly XdsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly XdsOptions _options;
    private readonly ILogger<AggregatedDiscoveryServiceImpl> _logger;

    public AggregatedDiscoveryServiceImpl(SnapshotCache cache, StreamRegistry streams, XdsPublisher publisher,
        XdsMetrics metrics, TimeProvider time, XdsOptions options, ILogger<AggregatedDiscoveryServiceImpl> logger)
    {
        _cache = cache;
        _streams = streams;
        _publisher = publisher;
        _metrics = metrics;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public override Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<DiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        var stream = new SotwStream(_streams.NextId(), _cache, _metrics, _publisher, _time, _options, _logger);
        return ServeAsync(stream, requestStream, responseStream, stream.Handle, context);
    }

    public override Task DeltaAggregatedResources(
        IAsyncStreamReader<DeltaDiscoveryRequest> requestStream,
        IServerStreamWriter<DeltaDiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        var stream = new DeltaStream(_streams.NextId(), _cache, _metrics, _publisher, _time, _options, _logger);
        return ServeAsync(stream, requestStream, responseStream, request => stream.Handle(request, _cache.Current), context);
    }

    private async Task ServeAsync<TRequest, TResponse>(
        AdsStream stream,
        IAsyncStreamReader<TRequest> requests,
        IServerStreamWriter<TResponse> responses,
        Action<TRequest> handle,
        ServerCallContext context)
        where TResponse : class, IMessage
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        _streams.Add(stream);
        _metrics.StreamOpened();
        _logger.LogInformation("xDS {Protocol} stream {StreamId} opened by {Peer}", stream.Protocol, stream.Id, context.Peer);

        // Started inline, not with Task.Run: it runs only until it waits for its first wake (no closure, no extra task).
        var worker = RunWorkerAsync(stream, responses, lifetime);
        Exception? writeFailure;
        try
        {
            while (await requests.MoveNext(lifetime.Token).ConfigureAwait(false))
            {
                handle(requests.Current);
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // Only the worker cancels the lifetime on its own: reported below as a write failure.
        }
        finally
        {
            await lifetime.CancelAsync().ConfigureAwait(false);
            stream.MarkClosed();
            _streams.Remove(stream);
            _metrics.StreamClosed();
            // Whatever ends the call, the worker has stopped writing before it returns (it never throws).
            writeFailure = await worker.ConfigureAwait(false);
            _logger.LogInformation("xDS {Protocol} stream {StreamId} closed", stream.Protocol, stream.Id);
        }

        if (writeFailure is not null)
        {
            _logger.LogInformation(writeFailure, "xDS stream {StreamId}: writing a response failed", stream.Id);
            throw new RpcException(new Status(StatusCode.Unavailable, $"writing a response failed: {writeFailure.Message}"));
        }
    }

    /// <summary>The stream's worker; returns why a write failed (after cancelling the reader), or null.</summary>
    private static async Task<Exception?> RunWorkerAsync<TResponse>(AdsStream stream, IServerStreamWriter<TResponse> responses, CancellationTokenSource lifetime)
        where TResponse : class, IMessage
    {
        try
        {
            await stream.RunWorkerAsync(responses, lifetime.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            // The call is ending; the reader side decides the status.
            return null;
        }
        catch (Exception e)
        {
            await lifetime.CancelAsync().ConfigureAwait(false);
            return e;
        }
    }
}
