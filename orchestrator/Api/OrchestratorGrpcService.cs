using Baton.Orchestrator.AppSpecs;
using Baton.Orchestrator.Deploys;
using Baton.Orchestrator.Fleet;
using Baton.Orchestrator.Store;
using Baton.Orchestrator.Xds;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Api;

/// <summary>The orchestrator's API: each RPC validated at this edge, then handed to the store, the engine or the fleet.</summary>
public sealed class OrchestratorGrpcService(
    IBatonStore store,
    DeployEngine engine,
    AgentRegistry agents,
    AgentOperations operations,
    FleetLogStreamer logs,
    IXdsMonitor monitor,
    IXdsPublisher publisher,
    ArtifactReceiver artifacts) : Protos.Orchestrator.V1.Orchestrator.OrchestratorBase
{
    // ---------------------------------------------------------------- apps

    public override async Task<ApplyAppResponse> ApplyApp(ApplyAppRequest request, ServerCallContext context)
    {
        var source = request.SourceName.Length > 0 ? request.SourceName : "spec";
        var loaded = AppSpecLoader.Load(request.SpecYaml, source);
        if (request.DryRun)
            return new ApplyAppResponse { App = new App { Spec = loaded.Spec, Source = request.SpecYaml }, Outcome = "valid (dry run)" };
        var result = await store.PutAppAsync(loaded.Spec, request.SpecYaml, context.CancellationToken);
        return new ApplyAppResponse { App = result.App, Outcome = result.Outcome.ToString().ToLowerInvariant() };
    }

    public override async Task<App> GetApp(GetAppRequest request, ServerCallContext context)
    {
        NameValidator.Require(request.Name, "name");
        return await store.GetAppAsync(request.Name, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no app {request.Name}"));
    }

    public override async Task<ListAppsResponse> ListApps(ListAppsRequest request, ServerCallContext context)
    {
        var response = new ListAppsResponse();
        response.Apps.AddRange(await store.ListAppsAsync(context.CancellationToken));
        return response;
    }

    public override async Task<DeleteAppResponse> DeleteApp(DeleteAppRequest request, ServerCallContext context)
    {
        NameValidator.Require(request.Name, "name");
        var ct = context.CancellationToken;
        if (await store.GetAppAsync(request.Name, ct) is null) throw new RpcException(new Status(StatusCode.NotFound, $"no app {request.Name}"));
        var desired = await store.GetDesiredStateAsync(request.Name, ct);
        var instances = desired?.Releases.SelectMany(r => r.Instances).ToList() ?? [];
        if (instances.Count > 0 && !request.Force)
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"app {request.Name} has {instances.Count} instance(s) running ({string.Join(", ", desired!.Releases.Select(r => r.Version))}); pass force to stop them and delete"));
        foreach (var group in instances.GroupBy(i => i.Agent))
            await operations.StopAsync(group.Key, group.Select(i => i.InstanceId).ToList(), remove: true, ct);
        publisher.RemoveApp(request.Name);
        await store.DeleteAppAsync(request.Name, ct);
        return new DeleteAppResponse();
    }

    // ---------------------------------------------------------------- artifacts

    public override Task<UploadArtifactResponse> UploadArtifact(IAsyncStreamReader<UploadArtifactRequest> requestStream, ServerCallContext context) =>
        artifacts.ReceiveAsync(requestStream, context.CancellationToken);

    // ---------------------------------------------------------------- deploys

    public override Task<DeployPlan> PlanDeploy(DeployRequest request, ServerCallContext context) =>
        engine.PlanAsync(request.App, request.Version, context.CancellationToken);

    public override Task<Deploy> StartDeploy(DeployRequest request, ServerCallContext context) =>
        engine.StartDeployAsync(request.App, request.Version, context.CancellationToken);

    public override Task<AppStatus> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        engine.GetStatusAsync(request.App, context.CancellationToken);

    public override async Task WatchDeploy(WatchDeployRequest request, IServerStreamWriter<Deploy> responseStream, ServerCallContext context)
    {
        try
        {
            await foreach (var deploy in engine.WatchAsync(request.App, context.CancellationToken))
                await responseStream.WriteAsync(deploy, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The watcher left (Ctrl+C on `baton deploy --watch`); the deploy goes on.
        }
    }

    public override async Task<ListDeploysResponse> ListDeploys(ListDeploysRequest request, ServerCallContext context)
    {
        NameValidator.Require(request.App, "app");
        var response = new ListDeploysResponse();
        response.Deploys.AddRange(await store.ListDeploysAsync(request.App, (int)request.Limit, context.CancellationToken));
        return response;
    }

    public override Task<Deploy> Promote(DeployActionRequest request, ServerCallContext context) => engine.PromoteAsync(request.App, context.CancellationToken);

    public override Task<Deploy> Pause(DeployActionRequest request, ServerCallContext context) => engine.PauseAsync(request.App, context.CancellationToken);

    public override Task<Deploy> Resume(DeployActionRequest request, ServerCallContext context) => engine.ResumeAsync(request.App, context.CancellationToken);

    public override Task<Deploy> Abort(DeployActionRequest request, ServerCallContext context) => engine.AbortAsync(request.App, context.CancellationToken);

    public override Task<Deploy> Rollback(DeployActionRequest request, ServerCallContext context) => engine.RollbackAsync(request.App, context.CancellationToken);

    // ---------------------------------------------------------------- fleet

    public override Task<Agent> AddAgent(AddAgentRequest request, ServerCallContext context) =>
        agents.AddAsync(request.Name, request.Address, request.Labels, context.CancellationToken);

    public override async Task<RemoveAgentResponse> RemoveAgent(RemoveAgentRequest request, ServerCallContext context)
    {
        await agents.RemoveAsync(request.Name, context.CancellationToken);
        return new RemoveAgentResponse();
    }

    public override Task<ListAgentsResponse> ListAgents(ListAgentsRequest request, ServerCallContext context)
    {
        var response = new ListAgentsResponse();
        response.Agents.AddRange(agents.List());
        return Task.FromResult(response);
    }

    public override async Task<Protos.Orchestrator.V1.ListInstancesResponse> ListInstances(Protos.Orchestrator.V1.ListInstancesRequest request, ServerCallContext context)
    {
        if (request.App.Length > 0) NameValidator.Require(request.App, "app");
        return await operations.ListAllInstancesAsync(request.App.Length > 0 ? request.App : null, context.CancellationToken);
    }

    public override async Task StreamLogs(StreamLogsRequest request, IServerStreamWriter<LogLine> responseStream, ServerCallContext context)
    {
        NameValidator.Require(request.App, "app");
        try
        {
            await foreach (var line in logs.StreamLogsAsync(request.App, request.Follow, request.TailLines, context.CancellationToken))
                await responseStream.WriteAsync(line, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // `baton logs -f` ended by its user.
        }
    }

    public override Task<ListDataPlanesResponse> ListDataPlanes(ListDataPlanesRequest request, ServerCallContext context)
    {
        var response = new ListDataPlanesResponse();
        response.DataPlanes.AddRange(monitor.ListStreams()
            .Where(s => request.App.Length == 0 || s.ViewedApps is null || s.ViewedApps.Contains(request.App))
            .Select(DataPlaneView.From));
        return Task.FromResult(response);
    }
}
