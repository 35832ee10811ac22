using Baton.Agent.Events;
using Baton.Agent.Hosting;
using Baton.Agent.Instances;
using Baton.Agent.Releases;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Services;

/// <summary>The gRPC face of the agent: maps each RPC onto the instance manager, log store and release store.</summary>
internal sealed class AgentGrpcService(InstanceManager instances, ReleaseStore releases, Logs.LogStore logs, EventHub events, AgentRun run, TimeProvider time) : AgentService.AgentServiceBase
{
    private static readonly string AgentVersion = typeof(AgentGrpcService).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public override Task<LaunchResponse> Launch(LaunchRequest request, ServerCallContext context) => instances.LaunchAsync(request);

    public override Task<StopResponse> Stop(StopRequest request, ServerCallContext context) => instances.StopAsync(request);

    public override Task<RestartResponse> Restart(RestartRequest request, ServerCallContext context) => instances.RestartAsync(request);

    public override Task<ListInstancesResponse> ListInstances(ListInstancesRequest request, ServerCallContext context) =>
        Task.FromResult(instances.List(request.App, request.Version));

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<InstanceEvent> responseStream, ServerCallContext context)
    {
        if (request.App.Length > 0) Validation.NameValidator.Require(request.App, "app");
        using var subscription = events.Subscribe(request.HasAfterSequence ? request.AfterSequence : null);
        // Headers now, before any event: once the watcher has them it knows it is subscribed and
        // that nothing published from then on can be missed. Without them it could not tell a
        // stream that is attached from one still connecting until an event happened to arrive.
        await context.WriteResponseHeadersAsync(new Metadata());
        try
        {
            await foreach (var e in subscription.ReadAllAsync(context.CancellationToken))
            {
                if (request.App.Length > 0 && e.App != request.App) continue;
                await responseStream.WriteAsync(e, context.CancellationToken);
            }
        }
        catch (SlowWatcherException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
    }

    public override async Task ReadLogs(ReadLogsRequest request, IServerStreamWriter<LogChunk> responseStream, ServerCallContext context)
    {
        try
        {
            await foreach (var chunk in logs.ReadAsync(request, context.CancellationToken))
                await responseStream.WriteAsync(chunk, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The follower hung up: the normal end of `logs -f`.
        }
    }

    public override Task<UploadReleaseResponse> UploadRelease(IAsyncStreamReader<UploadReleaseRequest> requestStream, ServerCallContext context) =>
        releases.ReceiveAsync(requestStream.ReadAllAsync(context.CancellationToken), context.CancellationToken);

    public override Task<ListReleasesResponse> ListReleases(ListReleasesRequest request, ServerCallContext context)
    {
        if (request.App.Length > 0) Validation.NameValidator.Require(request.App, "app");
        var response = new ListReleasesResponse();
        response.Releases.AddRange(releases.List(request.App.Length > 0 ? request.App : null));
        return Task.FromResult(response);
    }

    public override Task<RemoveReleaseResponse> RemoveRelease(RemoveReleaseRequest request, ServerCallContext context)
    {
        releases.Remove(request.App, request.Version);
        return Task.FromResult(new RemoveReleaseResponse { Removed = true });
    }

    public override Task<GetHealthResponse> GetHealth(GetHealthRequest request, ServerCallContext context) =>
        Task.FromResult(new GetHealthResponse
        {
            Serving = true,
            AgentVersion = AgentVersion,
            UptimeSeconds = run.Uptime(time).TotalSeconds,
            RunId = run.RunId,
            LastEventSequence = events.LastSequence,
        });
}
