using System.Text.Json;
using System.Threading.Channels;

namespace Baton.Demo;

/// <summary>What the traffic generator counted since it started.</summary>
internal sealed record TrafficTotals(long Calls, long Succeeded, long Failed, IReadOnlyDictionary<string, long> PerRelease, IReadOnlyList<string> Errors)
{
    public static TrafficTotals FromEvent(JsonElement e) => new(
        e.GetProperty("calls").GetInt64(),
        e.GetProperty("ok").GetInt64(),
        e.GetProperty("failed").GetInt64(),
        e.GetProperty("versions").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()),
        e.GetProperty("errors").EnumerateArray().Select(m => m.GetString() ?? "").ToList());
}

/// <summary>
/// The traffic generator: tests/conformance/xds-client.js, a proxyless gRPC client on
/// @grpc/grpc-js-xds (pinned in tests/conformance/package-lock.json). It dials xds:///APP, gets its
/// listener, routes, clusters and endpoints from the baton server's xDS port, picks a release per
/// call by the weights Baton pushes, and reports its load back (LRS), which the deploy's analysis and
/// drain read. It speaks JSON lines: commands on stdin, events on stdout.
/// </summary>
internal sealed class TrafficClient : IAsyncDisposable
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    private readonly ChildProcess _process;
    private readonly Channel<JsonElement> _events;
    private int _nextStatsId;

    private TrafficClient(ChildProcess process, Channel<JsonElement> events)
    {
        _process = process;
        _events = events;
    }

    public static async Task<TrafficClient> StartAsync(DemoPaths paths, string app, int xdsPort, CancellationToken ct)
    {
        var bootstrap = Path.Combine(paths.WorkDir, "xds-bootstrap.json");
        await File.WriteAllTextAsync(bootstrap, Bootstrap(app, xdsPort), ct);
        var events = Channel.CreateUnbounded<JsonElement>();
        var process = ChildProcess.Start(
            "traffic client (xds-client.js)", "node",
            [
                Path.Combine(paths.ConformanceDir, "xds-client.js"), "--target", $"xds:///{app}",
                // Two calls in flight keep a steady stream without starving the instances on a small machine.
                "--concurrency", "2",
                // A safety net: even orphaned, the client stops calling after two minutes.
                "--max-seconds", "120",
            ],
            Path.Combine(paths.LogDir, "traffic-client.log"),
            environment: new Dictionary<string, string> { ["GRPC_XDS_BOOTSTRAP"] = bootstrap },
            onStdout: line => Receive(events.Writer, line),
            redirectStdin: true);
        var client = new TrafficClient(process, events);
        try
        {
            await client.NextEventAsync("started", ct);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    public string LogPath => _process.LogPath;

    /// <summary>The totals so far.</summary>
    public async Task<TrafficTotals> StatsAsync(CancellationToken ct)
    {
        var id = $"s{++_nextStatsId}";
        await _process.WriteLineAsync($"stats {id}");
        while (true)
        {
            var e = await NextEventAsync("stats", ct);
            if (e.GetProperty("id").GetString() == id) return TrafficTotals.FromEvent(e);
        }
    }

    /// <summary>Stops calling (the calls in flight finish) and returns the final totals.</summary>
    public async Task<TrafficTotals> StopAsync(CancellationToken ct)
    {
        await _process.WriteLineAsync("quit");
        var end = await NextEventAsync("end", ct);
        await _process.WaitForExitAsync(ct);
        return TrafficTotals.FromEvent(end);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>The bootstrap a proxyless gRPC client reads from GRPC_XDS_BOOTSTRAP (docs/xds.md); node cluster = the app it routes.</summary>
    private static string Bootstrap(string app, int xdsPort) => JsonSerializer.Serialize(new
    {
        xds_servers = new[]
        {
            new { server_uri = $"127.0.0.1:{xdsPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = new[] { "xds_v3" } },
        },
        node = new { id = "baton-demo-client", cluster = app, locality = new { zone = "local" } },
    });

    /// <summary>Queues one event line; a line that is not JSON ends the queue with the error, which the next wait throws.</summary>
    private static void Receive(ChannelWriter<JsonElement> events, string line)
    {
        try
        {
            events.TryWrite(JsonDocument.Parse(line).RootElement.Clone());
        }
        catch (JsonException e)
        {
            events.TryComplete(new DemoFailedException($"the traffic client printed a line that is not JSON ({e.Message}): {line}"));
        }
    }

    private async Task<JsonElement> NextEventAsync(string name, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(EventTimeout);
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(timeout.Token);
                var kind = e.GetProperty("event").GetString();
                if (kind == name) return e;
                // The client stops by itself after --max-seconds; any other event is one this wait does not need.
                if (kind == "end" && name != "end")
                    throw new DemoFailedException($"the traffic client stopped early ({e.GetProperty("reason").GetString()}); see {_process.LogPath}");
            }
        }
        catch (ChannelClosedException e) when (e.InnerException is DemoFailedException failure)
        {
            throw failure;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            var why = _process.HasExited ? $"it exited with code {_process.ExitCode}" : $"nothing within {EventTimeout.TotalSeconds:0} s";
            throw new DemoFailedException($"the traffic client sent no '{name}' event: {why}; see {_process.LogPath}");
        }
    }
}
