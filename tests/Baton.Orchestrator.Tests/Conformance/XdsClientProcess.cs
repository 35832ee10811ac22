using Baton.Orchestrator.Tests.Support;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Baton.Orchestrator.Tests.Conformance.Echo;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Baton.Orchestrator.Tests.Conformance;

/// <summary>Which real xDS client a conformance test drives.</summary>
public enum XdsClientKind
{
    /// <summary>@grpc/grpc-js-xds on Node, pinned in tests/conformance/package-lock.json.</summary>
    GrpcJs,

    /// <summary>gRPC C-core through Debian's python3-grpcio, run by /usr/bin/python3.</summary>
    GrpcCore,
}

/// <summary>
/// One real proxyless xDS client as a child process (tests/conformance/xds-client.js or xds_client.py),
/// calling ReleaseEcho on xds:///app. It is bounded on its own (max calls, max seconds, and it stops when
/// its stdin closes), and disposing it kills it and its children, so a failing test leaves nothing behind.
/// </summary>
internal sealed class XdsClientProcess : IAsyncDisposable
{
    /// <summary>How long any single wait on the client may take; a guard against hangs, not a timing assertion.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private const int StderrTailChars = 16_000;

    private readonly Process _process;
    private readonly string _workDirectory;
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly List<JsonElement> _unclaimed = [];
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private int _commands;

    private XdsClientProcess(XdsClientKind kind, string nodeId, Process process, string workDirectory)
    {
        Kind = kind;
        NodeId = nodeId;
        _process = process;
        _workDirectory = workDirectory;
        _stdoutPump = PumpStdoutAsync();
        _stderrPump = PumpStderrAsync();
    }

    public XdsClientKind Kind { get; }

    public string NodeId { get; }

    public static string ConformanceDirectory { get; } = Path.Combine(RepoLayout.Root, "tests", "conformance");

    /// <summary>Starts the client for <paramref name="app"/> against the control plane at <paramref name="serverUri"/>.</summary>
    /// <param name="nodeId">The node id in its bootstrap; its node metadata names the app (Baton's per-node view).</param>
    public static async Task<XdsClientProcess> StartAsync(XdsClientKind kind, string serverUri, string nodeId, string app,
        int concurrency = 4, int pauseMs = 0)
    {
        var workDirectory = Directory.CreateTempSubdirectory("baton-conformance-").FullName;
        try
        {
            var bootstrap = Path.Combine(workDirectory, "bootstrap.json");
            await File.WriteAllTextAsync(bootstrap, ProxylessBootstrap(serverUri, nodeId, app));
            var start = kind switch
            {
                XdsClientKind.GrpcJs => NodeStartInfo(),
                XdsClientKind.GrpcCore => await PythonStartInfoAsync(workDirectory),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            start.ArgumentList.Add("--target");
            start.ArgumentList.Add($"xds:///{app}");
            start.ArgumentList.Add("--concurrency");
            start.ArgumentList.Add(concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (pauseMs > 0)
            {
                start.ArgumentList.Add("--pause-ms");
                start.ArgumentList.Add(pauseMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            // Bounds of its own, should the test never tell it to stop.
            start.ArgumentList.Add("--max-seconds");
            start.ArgumentList.Add("150");
            start.ArgumentList.Add("--max-calls");
            start.ArgumentList.Add("300000");
            start.WorkingDirectory = workDirectory;
            start.RedirectStandardInput = true;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.UseShellExecute = false;
            start.Environment["GRPC_XDS_BOOTSTRAP"] = bootstrap;
            var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
            var client = new XdsClientProcess(kind, nodeId, process, workDirectory);
            try
            {
                await client.NextEventAsync("started");
                return client;
            }
            catch
            {
                await client.DisposeAsync();
                throw;
            }
        }
        catch
        {
            if (Directory.Exists(workDirectory))
            {
                Directory.Delete(workDirectory, recursive: true);
            }
            throw;
        }
    }

    /// <summary>
    /// The bootstrap gRPC's xDS clients read (gRFC A27): one ADS server speaking v3, and a node whose
    /// metadata names the app it routes, so the server shows it that app only.
    /// </summary>
    public static string ProxylessBootstrap(string serverUri, string nodeId, string app) => new JsonObject
    {
        ["xds_servers"] = new JsonArray(new JsonObject
        {
            ["server_uri"] = serverUri,
            ["channel_creds"] = new JsonArray(new JsonObject { ["type"] = "insecure" }),
            ["server_features"] = new JsonArray("xds_v3"),
        }),
        ["node"] = new JsonObject
        {
            ["id"] = nodeId,
            ["cluster"] = "conformance",
            ["metadata"] = new JsonObject { ["baton.apps"] = new JsonArray(app) },
            ["locality"] = new JsonObject { ["zone"] = "local" },
        },
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Counts the next <paramref name="calls"/> calls started from now on, once they have all finished.</summary>
    /// <param name="maxMilliseconds">When set, only the calls started within this long count (grpc-js client only).</param>
    public async Task<ClientTally> WindowAsync(int calls, int? maxMilliseconds = null)
    {
        var label = $"w{Interlocked.Increment(ref _commands)}";
        await SendAsync(maxMilliseconds is { } ms ? $"window {label} {calls} {ms}" : $"window {label} {calls}");
        return ClientTally.From(await NextEventAsync("window", label));
    }

    /// <summary>Everything since the client started.</summary>
    public async Task<ClientTally> StatsAsync()
    {
        var id = $"s{Interlocked.Increment(ref _commands)}";
        await SendAsync($"stats {id}");
        return ClientTally.From(await NextEventAsync("stats", id));
    }

    /// <summary>Stops the calls and returns the client's totals.</summary>
    public async Task<ClientTally> QuitAsync()
    {
        await SendAsync("quit");
        return ClientTally.From(await NextEventAsync("end"));
    }

    /// <summary>The client's own diagnostics, for assertion messages.</summary>
    public string StderrTail()
    {
        lock (_stderr)
        {
            return _stderr.ToString();
        }
    }

    private async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    private async Task<JsonElement> NextEventAsync(string name, string? label = null)
    {
        bool Matches(JsonElement e) =>
            e.GetProperty("event").GetString() == name
            && (label is null || (e.TryGetProperty("label", out var l) ? l.GetString() : e.GetProperty("id").GetString()) == label);

        var claimed = _unclaimed.FindIndex(Matches);
        if (claimed >= 0)
        {
            var found = _unclaimed[claimed];
            _unclaimed.RemoveAt(claimed);
            return found;
        }
        using var guard = new CancellationTokenSource(HangGuard);
        try
        {
            while (true)
            {
                var next = await _events.Reader.ReadAsync(guard.Token);
                if (Matches(next))
                {
                    return next;
                }
                _unclaimed.Add(next);
            }
        }
        catch (OperationCanceledException) when (guard.IsCancellationRequested)
        {
            throw new TimeoutException($"{Kind} client {NodeId} sent no '{name}' event {label} within {HangGuard}; stderr:\n{StderrTail()}");
        }
        catch (ChannelClosedException)
        {
            await _process.WaitForExitAsync();
            throw new InvalidOperationException(
                $"{Kind} client {NodeId} exited with {_process.ExitCode} before its '{name}' event {label}; stderr:\n{StderrTail()}");
        }
    }

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                using var document = JsonDocument.Parse(line);
                _events.Writer.TryWrite(document.RootElement.Clone());
            }
            _events.Writer.TryComplete();
        }
        catch (Exception e)
        {
            // Surfaces in the waiting test as the reason the events stopped.
            _events.Writer.TryComplete(new InvalidDataException($"{Kind} client {NodeId} printed something unreadable: {e.Message}", e));
        }
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await _process.StandardError.ReadAsync(buffer)) > 0)
        {
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, read);
                if (_stderr.Length > StderrTailChars)
                {
                    _stderr.Remove(0, _stderr.Length - StderrTailChars);
                }
            }
        }
    }

    private static ProcessStartInfo NodeStartInfo()
    {
        var script = Path.Combine(ConformanceDirectory, "xds-client.js");
        if (!Directory.Exists(Path.Combine(ConformanceDirectory, "node_modules", "@grpc", "grpc-js-xds")))
        {
            throw new InvalidOperationException($"@grpc/grpc-js-xds is not installed: run \"npm ci\" in {ConformanceDirectory}");
        }
        var start = new ProcessStartInfo("node");
        start.ArgumentList.Add(script);
        return start;
    }

    /// <summary>
    /// Debian's interpreter on purpose: PATH may lead to another python3 (pyenv) without python3-grpcio.
    /// The ReleaseEcho descriptors come from the proto this test project compiled, written for the script.
    /// </summary>
    private static async Task<ProcessStartInfo> PythonStartInfoAsync(string workDirectory)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            throw new InvalidOperationException($"{python} is missing: .ci/run installs python3 and python3-grpcio");
        }
        var descriptorSet = Path.Combine(workDirectory, "release_echo.pb");
        var files = new FileDescriptorSet();
        files.File.Add(FileDescriptorProto.Parser.ParseFrom(ReleaseEchoReflection.Descriptor.SerializedData));
        await File.WriteAllBytesAsync(descriptorSet, files.ToByteArray());
        var start = new ProcessStartInfo(python);
        start.ArgumentList.Add(Path.Combine(ConformanceDirectory, "xds_client.py"));
        start.ArgumentList.Add("--descriptor-set");
        start.ArgumentList.Add(descriptorSet);
        return start;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var exitGuard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(exitGuard.Token);
            await Task.WhenAll(_stdoutPump, _stderrPump);
        }
        finally
        {
            _process.Dispose();
            Directory.Delete(_workDirectory, recursive: true);
        }
    }
}
