using System.Text.Json;

namespace Baton.Bench.Deploy;

/// <summary>
/// A real data plane: tests/conformance/xds-client.js (@grpc/grpc-js-xds) dialing xds:///APP with
/// its own bootstrap, calling the app at a modest pace. Every weight step the engine pushes is
/// ACK-gated by it; its call counts say whether any call failed while the deploys ran.
/// </summary>
internal sealed class XdsDataPlane : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _bootstrapDir;
    private readonly Dictionary<string, TaskCompletionSource<JsonElement>> _waiting = new(StringComparer.Ordinal);

    private XdsDataPlane(ChildProcess process, string bootstrapDir)
    {
        _process = process;
        _bootstrapDir = bootstrapDir;
        _process.OnOutputLine = OnEvent;
    }

    public string NodeId { get; private init; } = "";

    public static XdsDataPlane Start(BenchPaths paths, string app, int xdsPort, int pauseMs)
    {
        var dir = Directory.CreateTempSubdirectory("baton-bench-xds-").FullName;
        var nodeId = $"bench-grpc-js-{app}";
        var bootstrap = Path.Combine(dir, "bootstrap.json");
        File.WriteAllText(bootstrap, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["xds_servers"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["server_uri"] = $"127.0.0.1:{xdsPort}",
                    ["channel_creds"] = new[] { new Dictionary<string, string> { ["type"] = "insecure" } },
                    ["server_features"] = new[] { "xds_v3" },
                },
            },
            ["node"] = new Dictionary<string, object>
            {
                ["id"] = nodeId,
                ["cluster"] = "bench",
                ["metadata"] = new Dictionary<string, object> { ["baton.apps"] = new[] { app } },
                ["locality"] = new Dictionary<string, string> { ["zone"] = "local" },
            },
        }));
        var process = new ChildProcess($"xds client {app}", "node",
            [Path.Combine(paths.Conformance, "xds-client.js"), "--target", $"xds:///{app}", "--concurrency", "1",
             "--pause-ms", pauseMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--deadline-ms", "2000", "--max-seconds", "600"],
            new Dictionary<string, string> { ["GRPC_XDS_BOOTSTRAP"] = bootstrap },
            paths.Conformance);
        return new XdsDataPlane(process, dir) { NodeId = nodeId };
    }

    /// <summary>Counts the next <paramref name="calls"/> calls; returns the window's tally once they finished.</summary>
    public Task<JsonElement> WindowAsync(string label, int calls, TimeSpan timeout) =>
        AskAsync($"window:{label}", $"window {label} {calls}", timeout);

    /// <summary>Totals since the client started.</summary>
    public Task<JsonElement> StatsAsync(string id, TimeSpan timeout) => AskAsync($"stats:{id}", $"stats {id}", timeout);

    private async Task<JsonElement> AskAsync(string key, string command, TimeSpan timeout)
    {
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiting) _waiting[key] = answer;
        await _process.WriteLineAsync(command);
        try
        {
            return await answer.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"the xDS client did not answer '{command}' within {timeout.TotalSeconds} s; its output:\n{_process.Output}");
        }
    }

    private void OnEvent(string line)
    {
        if (!line.StartsWith('{')) return;
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement.Clone();
        var kind = root.GetProperty("event").GetString();
        var key = kind switch
        {
            "window" => $"window:{root.GetProperty("label").GetString()}",
            "stats" => $"stats:{root.GetProperty("id").GetString()}",
            _ => null,
        };
        if (key is null) return;
        TaskCompletionSource<JsonElement>? waiter;
        lock (_waiting)
        {
            if (_waiting.Remove(key, out waiter)) { }
        }
        waiter?.TrySetResult(root);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_bootstrapDir, recursive: true);
        }
        catch (IOException)
        {
            // left for the OS's temp cleanup
        }
    }
}
