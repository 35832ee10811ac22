using System.Collections.Concurrent;
using System.Net;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Tests.Cli;

/// <summary>
/// A real Kestrel gRPC server on 127.0.0.1 (kernel-chosen port, h2c) serving the Orchestrator API
/// from <see cref="RecordingOrchestrator"/>: canned replies, recorded requests. It tests the CLI,
/// not the engine.
/// </summary>
internal sealed class TestOrchestratorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestOrchestratorServer(WebApplication app, Uri address, RecordingOrchestrator service)
    {
        _app = app;
        Address = address;
        Service = service;
    }

    public Uri Address { get; }

    public RecordingOrchestrator Service { get; }

    public static async Task<TestOrchestratorServer> StartAsync()
    {
        var service = new RecordingOrchestrator();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        var app = builder.Build();
        app.MapGrpcService<RecordingOrchestrator>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestOrchestratorServer(app, new Uri(address), service);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What the server received in one call: the method, the request, the authorization header.</summary>
internal sealed record ReceivedCall(string Method, IMessage Request, string? Authorization);

internal sealed class RecordingOrchestrator : Protos.Orchestrator.V1.Orchestrator.OrchestratorBase
{
    private readonly ConcurrentQueue<ReceivedCall> _calls = new();

    public IReadOnlyList<ReceivedCall> Calls => [.. _calls];

    /// <summary>When set, calls without "authorization: Bearer {token}" are refused with Unauthenticated.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Method name → the failure it answers with instead of its canned reply.</summary>
    public ConcurrentDictionary<string, Status> Failures { get; } = new();

    /// <summary>The states WatchDeploy streams, in order.</summary>
    public List<Deploy> WatchSequence { get; set; } = CannedReplies.SucceedingDeploy();

    /// <summary>The chunks UploadArtifact received after the header.</summary>
    public List<int> UploadedChunkSizes { get; } = [];

    public ArtifactHeader? UploadedHeader { get; private set; }

    public byte[] UploadedBytes { get; private set; } = [];

    private void Receive(string method, IMessage request, ServerCallContext context)
    {
        var authorization = context.RequestHeaders.GetValue("authorization");
        _calls.Enqueue(new ReceivedCall(method, request, authorization));
        if (RequiredToken is not null && authorization != $"Bearer {RequiredToken}")
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or invalid bearer token"));
        if (Failures.TryGetValue(method, out var failure)) throw new RpcException(failure);
    }

    public override Task<ApplyAppResponse> ApplyApp(ApplyAppRequest request, ServerCallContext context)
    {
        Receive(nameof(ApplyApp), request, context);
        return Task.FromResult(new ApplyAppResponse
        {
            App = new App { Spec = new AppSpec { Name = "web" }, Generation = 3, Source = request.SpecYaml },
            Outcome = "updated",
        });
    }

    public override async Task<UploadArtifactResponse> UploadArtifact(IAsyncStreamReader<UploadArtifactRequest> requestStream, ServerCallContext context)
    {
        var bytes = new MemoryStream();
        await foreach (var part in requestStream.ReadAllAsync(context.CancellationToken))
        {
            if (part.PartCase == UploadArtifactRequest.PartOneofCase.Header)
            {
                if (UploadedHeader is not null || bytes.Length > 0) throw new RpcException(new Status(StatusCode.InvalidArgument, "header must come first, once"));
                UploadedHeader = part.Header;
                Receive(nameof(UploadArtifact), part.Header, context);
                continue;
            }
            UploadedChunkSizes.Add(part.Chunk.Length);
            part.Chunk.WriteTo(bytes);
        }
        UploadedBytes = bytes.ToArray();
        var header = UploadedHeader ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "no header"));
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(UploadedBytes));
        if (sha256 != header.Sha256 || (ulong)UploadedBytes.Length != header.Size)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"artifact sha256 {sha256} ({UploadedBytes.Length} bytes) does not match the header's {header.Sha256} ({header.Size} bytes)"));
        return new UploadArtifactResponse { App = header.App, Version = header.Version, Sha256 = sha256 };
    }

    public override Task<DeployPlan> PlanDeploy(DeployRequest request, ServerCallContext context)
    {
        Receive(nameof(PlanDeploy), request, context);
        return Task.FromResult(CannedReplies.Plan(request.Version));
    }

    public override Task<Deploy> StartDeploy(DeployRequest request, ServerCallContext context)
    {
        Receive(nameof(StartDeploy), request, context);
        var deploy = CannedReplies.Deploy(DeployPhase.Pending, step: 0, v2Weight: 0);
        deploy.ToVersion = request.Version;
        return Task.FromResult(deploy);
    }

    public override Task<AppStatus> GetStatus(GetStatusRequest request, ServerCallContext context)
    {
        Receive(nameof(GetStatus), request, context);
        return Task.FromResult(CannedReplies.Status());
    }

    public override async Task WatchDeploy(WatchDeployRequest request, IServerStreamWriter<Deploy> responseStream, ServerCallContext context)
    {
        Receive(nameof(WatchDeploy), request, context);
        foreach (var deploy in WatchSequence)
        {
            await responseStream.WriteAsync(deploy, context.CancellationToken);
            await Task.Delay(20, context.CancellationToken);
        }
    }

    public override Task<ListDeploysResponse> ListDeploys(ListDeploysRequest request, ServerCallContext context)
    {
        Receive(nameof(ListDeploys), request, context);
        return Task.FromResult(CannedReplies.History());
    }

    public override Task<Deploy> Promote(DeployActionRequest request, ServerCallContext context) => Action(nameof(Promote), request, context, "promoted: straight to 100 %");

    public override Task<Deploy> Pause(DeployActionRequest request, ServerCallContext context) => Action(nameof(Pause), request, context, "");

    public override Task<Deploy> Resume(DeployActionRequest request, ServerCallContext context) => Action(nameof(Resume), request, context, "");

    public override Task<Deploy> Abort(DeployActionRequest request, ServerCallContext context) => Action(nameof(Abort), request, context, "abort requested");

    public override Task<Deploy> Rollback(DeployActionRequest request, ServerCallContext context) => Action(nameof(Rollback), request, context, "");

    private Task<Deploy> Action(string method, DeployActionRequest request, ServerCallContext context, string message)
    {
        Receive(method, request, context);
        var deploy = CannedReplies.Deploy(DeployPhase.Shifting, step: 2, v2Weight: 25);
        deploy.Message = message;
        return Task.FromResult(deploy);
    }

    public override Task<Baton.Protos.Orchestrator.V1.Agent> AddAgent(AddAgentRequest request, ServerCallContext context)
    {
        Receive(nameof(AddAgent), request, context);
        var agent = new Baton.Protos.Orchestrator.V1.Agent { Name = request.Name, Address = request.Address, Health = AgentHealth.Reachable };
        agent.Labels.Add(request.Labels);
        return Task.FromResult(agent);
    }

    public override Task<RemoveAgentResponse> RemoveAgent(RemoveAgentRequest request, ServerCallContext context)
    {
        Receive(nameof(RemoveAgent), request, context);
        return Task.FromResult(new RemoveAgentResponse());
    }

    public override Task<ListAgentsResponse> ListAgents(ListAgentsRequest request, ServerCallContext context)
    {
        Receive(nameof(ListAgents), request, context);
        return Task.FromResult(CannedReplies.Agents());
    }

    public override Task<ListInstancesResponse> ListInstances(ListInstancesRequest request, ServerCallContext context)
    {
        Receive(nameof(ListInstances), request, context);
        return Task.FromResult(CannedReplies.Instances());
    }

    public override async Task StreamLogs(StreamLogsRequest request, IServerStreamWriter<LogLine> responseStream, ServerCallContext context)
    {
        Receive(nameof(StreamLogs), request, context);
        await responseStream.WriteAsync(new LogLine { Agent = "host-a", InstanceId = "web-v2-a1", Stream = "stdout", Text = "listening on 41001" });
        await responseStream.WriteAsync(new LogLine { Agent = "host-b", InstanceId = "web-v2-b1", Stream = "stderr", Text = "warning: cache cold" });
    }

    public override Task<ListDataPlanesResponse> ListDataPlanes(ListDataPlanesRequest request, ServerCallContext context)
    {
        Receive(nameof(ListDataPlanes), request, context);
        return Task.FromResult(CannedReplies.DataPlanes());
    }
}

/// <summary>Replies shaped like the engine's: a canary from v1 to v2 in steps 25/50/100 with receipts.</summary>
internal static class CannedReplies
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static Timestamp At(double seconds) => Timestamp.FromDateTimeOffset(Start.AddSeconds(seconds));

    public static Deploy Deploy(DeployPhase phase, uint step, uint v2Weight)
    {
        var deploy = new Deploy
        {
            Id = "web-7",
            App = "web",
            Kind = DeployKind.Deploy,
            FromVersion = "v1",
            ToVersion = "v2",
            Phase = phase,
            Step = step,
            Steps = 3,
            CreatedAt = At(0),
            UpdatedAt = At(step * 10),
        };
        if (phase != DeployPhase.Pending)
        {
            deploy.Weights.Add(new ReleaseWeight { Version = "v2", Weight = v2Weight });
            deploy.Weights.Add(new ReleaseWeight { Version = "v1", Weight = 100 - v2Weight });
            deploy.ReadyInstances.Add("v1", 2);
            deploy.ReadyInstances.Add("v2", 2);
        }
        for (uint i = 1; i < step; i++) deploy.Receipt.Add(Receipt(i, i == 1 ? 25u : 50u, "passed"));
        return deploy;
    }

    public static StepReceipt Receipt(uint index, uint v2Weight, string verdict, ulong v2Errors = 1)
    {
        var receipt = new StepReceipt
        {
            Index = index,
            AppliedAt = At(index * 10),
            AckedAt = At(index * 10 + 0.042),
            DataPlanes = 2,
            Verdict = verdict,
        };
        receipt.Weights.Add(new ReleaseWeight { Version = "v2", Weight = v2Weight });
        receipt.Weights.Add(new ReleaseWeight { Version = "v1", Weight = 100 - v2Weight });
        receipt.Load.Add(new ReleaseLoad { Version = "v2", Requests = 400, Errors = v2Errors });
        receipt.Load.Add(new ReleaseLoad { Version = "v1", Requests = 1200, Errors = 0 });
        return receipt;
    }

    public static List<Deploy> SucceedingDeploy()
    {
        var done = Deploy(DeployPhase.Succeeded, step: 3, v2Weight: 100);
        done.Receipt.Add(Receipt(3, 100, "passed"));
        done.ReadyInstances.Remove("v1");
        done.FinishedAt = At(45);
        return
        [
            Deploy(DeployPhase.Distributing, 0, 0),
            Deploy(DeployPhase.Starting, 0, 0),
            Deploy(DeployPhase.Shifting, 1, 25),
            Deploy(DeployPhase.Shifting, 2, 50),
            Deploy(DeployPhase.Shifting, 3, 100),
            Deploy(DeployPhase.Draining, 3, 100),
            Deploy(DeployPhase.Retiring, 3, 100),
            done,
        ];
    }

    public const string RollbackReason = "step 2 (50 %): v2 error rate 12.5 % over 5 % (400 requests, 50 errors)";

    public static List<Deploy> RolledBackDeploy()
    {
        var failing = Deploy(DeployPhase.Failing, step: 2, v2Weight: 50);
        failing.Receipt.Add(Receipt(2, 50, $"failed: {RollbackReason}", v2Errors: 50));
        failing.Reason = RollbackReason;
        var rollingBack = failing.Clone();
        rollingBack.Phase = DeployPhase.RollingBack;
        var rolledBack = failing.Clone();
        rolledBack.Phase = DeployPhase.RolledBack;
        rolledBack.Weights.Clear();
        rolledBack.Weights.Add(new ReleaseWeight { Version = "v1", Weight = 100 });
        rolledBack.ReadyInstances.Remove("v2");
        rolledBack.FinishedAt = At(30);
        return [Deploy(DeployPhase.Starting, 0, 0), Deploy(DeployPhase.Shifting, 1, 25), Deploy(DeployPhase.Shifting, 2, 50), failing, rollingBack, rolledBack];
    }

    public static AppStatus Status()
    {
        var status = new AppStatus { App = "web", Deploy = Deploy(DeployPhase.Succeeded, 3, 100) };
        status.Deploy.Receipt.Add(Receipt(3, 100, "passed"));
        status.Deploy.FinishedAt = At(45);
        status.Weights.Add(new ReleaseWeight { Version = "v2", Weight = 100 });
        status.Instances.AddRange(Instances().Instances);
        return status;
    }

    public static ListDeploysResponse History()
    {
        var history = new ListDeploysResponse();
        history.Deploys.Add(Status().Deploy);
        var failed = RolledBackDeploy()[^1];
        failed.Id = "web-6";
        history.Deploys.Add(failed);
        return history;
    }

    public static DeployPlan Plan(string version)
    {
        var plan = new DeployPlan { App = "web", FromVersion = "v1", ToVersion = version };
        plan.Instances.Add(new PlannedInstance { Agent = "host-a", InstanceId = $"web-{version}-a1" });
        plan.Instances.Add(new PlannedInstance { Agent = "host-b", InstanceId = $"web-{version}-b1" });
        plan.Steps.Add(new StepSpec { Weight = 25, PauseMs = 30000 });
        plan.Steps.Add(new StepSpec { Weight = 50, ManualGate = true });
        plan.Steps.Add(new StepSpec { Weight = 100 });
        plan.Notes.Add("v1 stays warm for 10 min after promotion for an instant rollback");
        return plan;
    }

    public static ListInstancesResponse Instances()
    {
        var reply = new ListInstancesResponse();
        reply.Instances.Add(new Instance { Agent = "host-a", InstanceId = "web-v2-a1", App = "web", Version = "v2", State = "ready", Pid = 4242, Port = 41001, UptimeSeconds = 754, Restarts = 0, CpuPercent = 1.5, RssBytes = 48_500_000 });
        reply.Instances.Add(new Instance { Agent = "host-b", InstanceId = "web-v2-b1", App = "web", Version = "v2", State = "crash_looping", Pid = 0, Port = 41002, Restarts = 7, Message = "exit code 1" });
        reply.Unreachable.Add("host-c", "connection refused");
        return reply;
    }

    public static ListAgentsResponse Agents()
    {
        var reply = new ListAgentsResponse();
        var a = new Baton.Protos.Orchestrator.V1.Agent { Name = "host-a", Address = "10.0.0.5:7070", Health = AgentHealth.Reachable, LastSeen = At(50) };
        a.Labels.Add("zone", "eu-1");
        reply.Agents.Add(a);
        reply.Agents.Add(new Baton.Protos.Orchestrator.V1.Agent { Name = "host-c", Address = "10.0.0.7:7070", Health = AgentHealth.Unreachable, LastSeen = At(5), Error = "connection refused" });
        return reply;
    }

    public static ListDataPlanesResponse DataPlanes()
    {
        var reply = new ListDataPlanesResponse();
        var envoy = new DataPlane { NodeId = "envoy-1", Cluster = "edge", Status = "in sync", Protocol = "sotw", ConnectedAt = At(1) };
        envoy.Apps.Add("web");
        foreach (var type in new[] { "envoy.config.listener.v3.Listener", "envoy.config.route.v3.RouteConfiguration", "envoy.config.cluster.v3.Cluster", "envoy.config.endpoint.v3.ClusterLoadAssignment" })
            envoy.Types_.Add(new DataPlaneTypeState { TypeUrl = "type.googleapis.com/" + type, AckedVersion = "7", SentVersion = "7" });
        reply.DataPlanes.Add(envoy);
        var proxy = new DataPlane { NodeId = "proxy-2", Status = "nacked", Protocol = "delta", ConnectedAt = At(2) };
        proxy.Types_.Add(new DataPlaneTypeState { TypeUrl = "type.googleapis.com/envoy.config.cluster.v3.Cluster", AckedVersion = "6", SentVersion = "7", NackError = "cluster web-v2: unknown lb_policy" });
        reply.DataPlanes.Add(proxy);
        return reply;
    }
}
