using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;
using Grpc.Core;
using AgentProtos = Baton.Protos.Agent.V1;

namespace Baton.Bench.Deploy;

/// <summary>One measured deploy: the client's view, the agents' readiness and the server's own stamps.</summary>
internal sealed record DeployRun(
    int Instances,
    string Version,
    double StartCallMs,
    double TotalMs,
    double ReadinessMs,
    double PausesMs,
    Baton.Protos.Orchestrator.V1.Deploy Final,
    IReadOnlyDictionary<DeployPhase, DateTimeOffset> PhaseSeenAt,
    DateTimeOffset ClientStartedAt,
    DateTimeOffset ClientSucceededAt)
{
    public double OverheadMs => TotalMs - ReadinessMs - PausesMs;
}

/// <summary>What one app's series of deploys measured, plus what its data plane saw meanwhile.</summary>
internal sealed record DeploySeries(int Instances, string Placement, IReadOnlyList<DeployRun> Runs, long CallsDuringDeploys, long FailedCallsDuringDeploys, string DataPlaneNode);

/// <summary>
/// Issue 4's deploy overhead: an app of N instances over the cluster's agents, deployed v1 (not
/// measured: a first deploy has no steps), then v2…v(k+1), each measured from the StartDeploy call
/// to the watch stream reporting succeeded, with a grpc-js-xds data plane ACKing every step.
/// </summary>
internal static class DeployScenario
{
    public const int ProbeIntervalMs = 100;
    public static readonly uint[] StepWeights = [10, 50, 100];
    public static readonly uint[] StepPausesMs = [100, 100, 0];

    public static async Task<DeploySeries> RunAsync(BenchCluster cluster, BenchPaths paths, string app, int instances, int deploys, CancellationToken cancel)
    {
        var placement = instances == 1 ? "instances: 1" : $"instances_per_agent: {instances / cluster.Agents.Count}";
        await cluster.Api.ApplyAppAsync(new ApplyAppRequest { SpecYaml = Spec(paths, app, placement), SourceName = $"{app}.yaml" }, cancellationToken: cancel);
        var artifact = Artifact(paths);
        for (var v = 1; v <= deploys + 1; v++) await UploadAsync(cluster, app, $"v{v}", artifact, cancel);

        var events = new ConcurrentQueue<AgentProtos.InstanceEvent>();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var watchers = cluster.Agents.Select(a => WatchEventsAsync(a.Client, app, events, watching.Token)).ToList();
        try
        {
            Console.WriteLine($"  {app}: first deploy v1 (not measured)");
            await DeployAsync(cluster, app, "v1", events, cancel);

            await using var dataPlane = XdsDataPlane.Start(paths, app, cluster.XdsPort, pauseMs: 10);
            var warm = await dataPlane.WindowAsync("warm", 50, TimeSpan.FromSeconds(60));
            if (warm.GetProperty("ok").GetInt32() == 0)
                throw new InvalidOperationException($"the xDS client reached no instance of {app}: {warm}");
            var before = await dataPlane.StatsAsync("before", TimeSpan.FromSeconds(10));

            var runs = new List<DeployRun>();
            for (var v = 2; v <= deploys + 1; v++)
            {
                await WaitForRetirementAsync(cluster, app, $"v{v - 1}", cancel);
                var run = await DeployAsync(cluster, app, $"v{v}", events, cancel);
                var minPlanes = run.Final.Receipt.Count == 0 ? 0 : run.Final.Receipt.Min(r => r.DataPlanes);
                if (minPlanes < 1) throw new InvalidOperationException($"deploy {run.Final.Id}: a step was not ACKed by any data plane");
                Console.WriteLine($"  {app} v{v}: total {run.TotalMs:0} ms, readiness {run.ReadinessMs:0} ms, pauses {run.PausesMs:0} ms → overhead {run.OverheadMs:0} ms");
                runs.Add(run);
            }
            var after = await dataPlane.StatsAsync("after", TimeSpan.FromSeconds(10));
            return new DeploySeries(instances, placement, runs,
                after.GetProperty("calls").GetInt64() - before.GetProperty("calls").GetInt64(),
                after.GetProperty("failed").GetInt64() - before.GetProperty("failed").GetInt64(),
                dataPlane.NodeId);
        }
        finally
        {
            await watching.CancelAsync();
            await Task.WhenAll(watchers);
        }
    }

    private static string Spec(BenchPaths paths, string app, string placement)
    {
        var steps = string.Join("\n", StepWeights.Select((w, i) => StepPausesMs[i] > 0 ? $"    - {{weight: {w}, pause: {StepPausesMs[i]}ms}}" : $"    - {{weight: {w}}}"));
        // rollback_window 1ms: the old release is retired by the engine right after each deploy
        // (between measurements), so releases do not pile up on 2 cores. stop.timeout 2s: an old
        // instance with a data plane's idle connection open is not waited on for 10 s.
        return $$"""
            name: {{app}}
            command: node
            args: [release-server.js]
            env: {NODE_PATH: {{Path.Combine(paths.Conformance, "node_modules")}}}
            placement: {{{placement}}}
            readiness: {type: tcp, interval: {{ProbeIntervalMs}}ms}
            stop: {timeout: 2s}
            routing: {protocol: grpc}
            strategy:
              steps:
            {{steps}}
              drain_timeout: 5s
              rollback_window: 1ms
            """;
    }

    /// <summary>The app as a flat tar.gz: the server script and the proto it loads from its own folder.</summary>
    private static byte[] Artifact(BenchPaths paths)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(Path.Combine(paths.Conformance, "release-server.js"), "release-server.js");
            tar.WriteEntry(Path.Combine(paths.Conformance, "protos", "release_echo.proto"), "release_echo.proto");
        }
        return buffer.ToArray();
    }

    private static async Task UploadAsync(BenchCluster cluster, string app, string version, byte[] artifact, CancellationToken cancel)
    {
        using var call = cluster.Api.UploadArtifact(cancellationToken: cancel);
        await call.RequestStream.WriteAsync(new UploadArtifactRequest
        {
            Header = new ArtifactHeader { App = app, Version = version, Sha256 = Convert.ToHexStringLower(SHA256.HashData(artifact)), Size = (ulong)artifact.Length },
        }, cancel);
        await call.RequestStream.WriteAsync(new UploadArtifactRequest { Chunk = ByteString.CopyFrom(artifact) }, cancel);
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
    }

    private static async Task WatchEventsAsync(AgentProtos.AgentService.AgentServiceClient agent, string app, ConcurrentQueue<AgentProtos.InstanceEvent> events, CancellationToken cancel)
    {
        try
        {
            using var stream = agent.WatchEvents(new AgentProtos.WatchEventsRequest { App = app }, cancellationToken: cancel);
            await foreach (var e in stream.ResponseStream.ReadAllAsync(cancel)) events.Enqueue(e);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<DeployRun> DeployAsync(BenchCluster cluster, string app, string version, ConcurrentQueue<AgentProtos.InstanceEvent> events, CancellationToken cancel)
    {
        var seen = new Dictionary<DeployPhase, DateTimeOffset>();
        var clientStartedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var started = await cluster.Api.StartDeployAsync(new DeployRequest { App = app, Version = version }, cancellationToken: cancel);
        var startCallMs = clock.Elapsed.TotalMilliseconds;
        Record(seen, started);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        Baton.Protos.Orchestrator.V1.Deploy? final = null;
        using (var watch = cluster.Api.WatchDeploy(new WatchDeployRequest { App = app }, cancellationToken: deadline.Token))
        {
            await foreach (var d in watch.ResponseStream.ReadAllAsync(deadline.Token))
            {
                if (d.Id != started.Id) continue;
                Record(seen, d);
                if (d.Phase is DeployPhase.Succeeded or DeployPhase.RolledBack)
                {
                    final = d;
                    break;
                }
            }
        }
        var totalMs = clock.Elapsed.TotalMilliseconds;
        var succeededAt = DateTimeOffset.UtcNow;
        if (final is null) throw new InvalidOperationException($"the watch of {started.Id} ended before the deploy did");
        if (final.Phase != DeployPhase.Succeeded) throw new InvalidOperationException($"deploy {final.Id} rolled back: {final.Reason}\n{cluster.Output}");

        return new DeployRun((int)final.ReadyInstances.GetValueOrDefault(version), version, startCallMs, totalMs, ReadinessMs(events, app, version),
            StepPausesMs.Take(final.Receipt.Count).Sum(p => (double)p), final, seen, clientStartedAt, succeededAt);
    }

    private static void Record(Dictionary<DeployPhase, DateTimeOffset> seen, Baton.Protos.Orchestrator.V1.Deploy d) =>
        seen.TryAdd(d.Phase, d.UpdatedAt.ToDateTimeOffset());

    /// <summary>
    /// The app's own readiness as the agents saw it: per instance of <paramref name="version"/>,
    /// its first STARTING event to its first READY event (agent clock); the slowest instance, since
    /// the engine waits for all of them.
    /// </summary>
    private static double ReadinessMs(ConcurrentQueue<AgentProtos.InstanceEvent> events, string app, string version)
    {
        var mine = events.Where(e => e.App == app && e.Version == version).ToList();
        var perInstance = mine.GroupBy(e => e.InstanceId).Select(g =>
        {
            var starting = g.FirstOrDefault(e => e.Type == AgentProtos.EventType.Starting)?.Time.ToDateTimeOffset();
            var ready = g.FirstOrDefault(e => e.Type == AgentProtos.EventType.Ready)?.Time.ToDateTimeOffset();
            return starting is null || ready is null ? (double?)null : (ready.Value - starting.Value).TotalMilliseconds;
        }).ToList();
        if (perInstance.Count == 0 || perInstance.Any(p => p is null))
            throw new InvalidOperationException($"missing STARTING/READY events for {app} {version}: {JsonSerializer.Serialize(mine.Select(e => $"{e.InstanceId} {e.Type}"))}");
        return perInstance.Max(p => p!.Value);
    }

    /// <summary>Waits until the engine has retired <paramref name="version"/> (rollback window over), so the next deploy starts on a quiet app.</summary>
    private static async Task WaitForRetirementAsync(BenchCluster cluster, string app, string version, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var status = await cluster.Api.GetStatusAsync(new GetStatusRequest { App = app }, cancellationToken: cancel);
            if (status.Instances.All(i => i.Version == version)) break;
            await Task.Delay(100, cancel);
        }
        await Task.Delay(500, cancel); // let the stopped instances' exits and the retire's pushes settle
    }
}
