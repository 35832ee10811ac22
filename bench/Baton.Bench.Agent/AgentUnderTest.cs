using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Baton.Protos.Agent.V1;
using Google.Protobuf;
using Grpc.Net.Client;

namespace Baton.Bench.Agent;

/// <summary>
/// A real baton-agent for the benchmark: its own temp data dir, listening on 127.0.0.1 only. Disposing kills every instance group it started and
/// the agent itself, also when the run failed half way.
/// </summary>
internal sealed class AgentUnderTest : IAsyncDisposable
{
    public const string App = "bench";
    public const string Version = "v1";

    private readonly Process _process;
    private readonly GrpcChannel _channel;
    private readonly HttpClient _http = new();
    private readonly StringBuilder _output = new();

    private AgentUnderTest(Process process, string dataDir, int metricsPort, GrpcChannel channel)
    {
        _process = process;
        DataDir = dataDir;
        MetricsPort = metricsPort;
        _channel = channel;
        Client = new AgentService.AgentServiceClient(channel);
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string DataDir { get; }
    public int MetricsPort { get; }
    public int Pid => _process.Id;
    public AgentService.AgentServiceClient Client { get; }

    /// <param name="agentPath">The published agent: a native executable, or a baton-agent.dll run through `dotnet`.</param>
    public static async Task<AgentUnderTest> StartAsync(string agentPath, string portRange, CancellationToken cancel)
    {
        var dataDir = Directory.CreateTempSubdirectory("baton-bench-agent-").FullName;

        var listenPort = LoopbackPorts.Ephemeral();
        var metricsPort = LoopbackPorts.Ephemeral();
        var isDll = agentPath.EndsWith(".dll", StringComparison.Ordinal);
        var psi = new ProcessStartInfo(isDll ? "dotnet" : agentPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (isDll) psi.ArgumentList.Add(agentPath);
        foreach (var a in new[] { "--listen", $"127.0.0.1:{listenPort}", "--metrics-listen", $"127.0.0.1:{metricsPort}", "--data-dir", dataDir, "--port-range", portRange })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {agentPath}");
        var agent = new AgentUnderTest(process, dataDir, metricsPort, GrpcChannel.ForAddress($"http://127.0.0.1:{listenPort}"));
        try
        {
            await agent.WaitHealthyAsync(cancel);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await Client.GetHealthAsync(new GetHealthRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancel);
                return;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50, cancel);
            }
            catch (Grpc.Core.RpcException e)
            {
                throw new InvalidOperationException($"the agent did not come up ({e.Status.StatusCode}); its output:\n{Output}");
            }
        }
    }

    /// <summary>
    /// Installs the app as release bench/v1 through UploadRelease, the way an orchestrator would
    /// (a folder made by hand is deleted by the agent's start-up check: it has no metadata).
    /// </summary>
    public async Task UploadAppAsync(string appFile, CancellationToken cancel)
    {
        using var artifact = new MemoryStream();
        using (var gzip = new GZipStream(artifact, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            await tar.WriteEntryAsync(appFile, "app.js", cancel);
        }
        var bytes = artifact.ToArray();
        using var upload = Client.UploadRelease(cancellationToken: cancel);
        await upload.RequestStream.WriteAsync(new UploadReleaseRequest
        {
            Header = new ReleaseHeader
            {
                App = App,
                Version = Version,
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
                Size = (ulong)bytes.Length,
            },
        }, cancel);
        await upload.RequestStream.WriteAsync(new UploadReleaseRequest { Chunk = ByteString.CopyFrom(bytes) }, cancel);
        await upload.RequestStream.CompleteAsync();
        await upload.ResponseAsync;
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public long RssBytes() => ProcFs.RssBytes(Pid);

    /// <summary>The agent's own spawn-time histogram, read from its /metrics endpoint.</summary>
    public async Task<SpawnHistogram> ReadSpawnHistogramAsync(CancellationToken cancel)
    {
        var text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics"), cancel);
        double sum = 0;
        long count = 0;
        var buckets = new List<(double UpperBoundSeconds, long Cumulative)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("baton_agent_spawn_seconds_sum ", StringComparison.Ordinal))
                sum = double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            else if (line.StartsWith("baton_agent_spawn_seconds_count ", StringComparison.Ordinal))
                count = long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            else if (line.StartsWith("baton_agent_spawn_seconds_bucket{le=\"", StringComparison.Ordinal))
            {
                var le = line.Split('"')[1];
                var upper = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                buckets.Add((upper, long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)));
            }
        }
        return new SpawnHistogram(count, sum, buckets);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Instances live in their own sessions and would outlive the agent: kill their groups first.
            foreach (var pid in ProcFs.SessionLeadersWithEnvironment($"BATON_AGENT_DATA_DIR={DataDir}"))
                ProcFs.SignalGroup(pid, ProcFs.SigKill);
        }
        finally
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
            _process.Dispose();
            _channel.Dispose();
            _http.Dispose();
        }
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A FIFO still held by a dying instance: the temp dir is left for the OS to clear.
        }
    }
}

/// <summary>baton_agent_spawn_seconds as exported: count, sum and cumulative buckets.</summary>
internal sealed record SpawnHistogram(long Count, double SumSeconds, IReadOnlyList<(double UpperBoundSeconds, long Cumulative)> Buckets)
{
    public double MeanMs => Count == 0 ? double.NaN : SumSeconds / Count * 1000;

    /// <summary>The upper bound (ms) of the bucket holding the given percentile: the histogram cannot say more.</summary>
    public double PercentileUpperBoundMs(double percent)
    {
        var rank = (long)Math.Ceiling(percent / 100 * Count);
        foreach (var (upper, cumulative) in Buckets)
        {
            if (cumulative >= rank) return upper * 1000;
        }
        return double.PositiveInfinity;
    }
}
