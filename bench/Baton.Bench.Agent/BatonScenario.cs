using System.Collections.Concurrent;
using System.Diagnostics;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Bench.Agent;

/// <summary>Baton's side: one agent, N instances launched one after another, then stopped one after another.</summary>
internal static class BatonScenario
{
    public sealed record Result(
        string AgentCommand,
        long IdleRssBytes,
        long LoadedRssBytes,
        List<double> LaunchToRunningMs,
        List<double> LaunchToReadyMs,
        List<double> StopMs,
        SpawnHistogram Spawn);

    public static async Task<Result> RunAsync(string agentPath, string appDir, BenchSettings settings, CancellationToken cancel)
    {
        await using var agent = await AgentUnderTest.StartAsync(agentPath, settings.BatonPortRange, cancel);
        // Idle: started and serving, nothing asked of it yet (the upload comes after).
        await Task.Delay(settings.Settle, cancel);
        var idleRss = agent.RssBytes();
        await agent.UploadAppAsync(Path.Combine(appDir, "app.js"), cancel);

        // READY events, keyed by instance id, completed with the time the bench received them.
        var ready = new ConcurrentDictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
        TaskCompletionSource<long> ReadyOf(string id) => ready.GetOrAdd(id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        using var watchCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var watch = agent.Client.WatchEvents(new WatchEventsRequest { App = AgentUnderTest.App }, cancellationToken: watchCancel.Token);
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in watch.ResponseStream.ReadAllAsync(watchCancel.Token))
                {
                    if (e.Type == EventType.Ready) ReadyOf(e.InstanceId).TrySetResult(Stopwatch.GetTimestamp());
                    else if (e.Type is EventType.Exited or EventType.CrashLooping)
                        ReadyOf(e.InstanceId).TrySetException(new InvalidOperationException($"{e.InstanceId}: {e.Type} {e.Message}"));
                }
            }
            catch (Exception e) when (e is OperationCanceledException || (e is RpcException r && r.StatusCode == StatusCode.Cancelled))
            {
                // The scenario is over.
            }
        }, CancellationToken.None);

        var launchToRunning = new List<double>();
        var launchToReady = new List<double>();
        var ids = new List<string>();
        for (var i = 0; i < settings.Instances; i++)
        {
            var id = $"bench-{i}";
            ids.Add(id);
            var request = new LaunchRequest { Instances = { Spec(id, settings) } };
            var readyAt = ReadyOf(id);
            var started = Stopwatch.GetTimestamp();
            var reply = await agent.Client.LaunchAsync(request, cancellationToken: cancel);
            var running = Stopwatch.GetTimestamp();
            if (reply.Instances.Count != 1 || reply.Instances[0].Pid <= 0)
                throw new InvalidOperationException($"Launch of {id} answered without a pid: {reply}");
            var readyTimestamp = await readyAt.Task.WaitAsync(TimeSpan.FromSeconds(30), cancel);
            launchToRunning.Add(Stopwatch.GetElapsedTime(started, running).TotalMilliseconds);
            launchToReady.Add(Stopwatch.GetElapsedTime(started, readyTimestamp).TotalMilliseconds);
        }

        await Task.Delay(settings.Settle, cancel);
        var loadedRss = agent.RssBytes();
        var spawn = await agent.ReadSpawnHistogramAsync(cancel);

        var stops = new List<double>();
        foreach (var id in ids)
        {
            var started = Stopwatch.GetTimestamp();
            var reply = await agent.Client.StopAsync(new StopRequest { InstanceIds = { id } }, cancellationToken: cancel);
            stops.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (reply.Results[0].Outcome != StopOutcome.Exited)
                throw new InvalidOperationException($"{id} did not stop gracefully: {reply.Results[0]}");
        }

        await watchCancel.CancelAsync();
        await watching;
        return new Result(agentPath, idleRss, loadedRss, launchToRunning, launchToReady, stops, spawn);
    }

    private static InstanceSpec Spec(string id, BenchSettings settings)
    {
        var spec = new InstanceSpec
        {
            InstanceId = id,
            App = AgentUnderTest.App,
            Version = AgentUnderTest.Version,
            Command = "node",
            Args = { "app.js" },
            // The agent picks the port from its range and passes it as PORT.
            Readiness = new Probe { Tcp = new TcpProbe(), IntervalMs = (uint)settings.ProbeInterval.TotalMilliseconds },
            Stop = new StopPolicy { Signal = StopSignal.Sigterm, TimeoutMs = 5000 },
        };
        return spec;
    }
}
