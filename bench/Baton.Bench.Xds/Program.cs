using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Baton.Bench.Xds;

// Issue 3: how fast does one weight step reach N connected Envoys, and what does an idle stream cost?
//
//   dotnet run -c Release --project bench/Baton.Bench.Xds [-- --sizes 1000,5000,10000 --pushes 3
//       --streams-per-connection 100 --budget-seconds 280 --markdown results.md --no-docs]
//
// The driver (this process) starts the server as a child process (`host` role, the real xDS server code)
// and simulates the data planes itself; both run on the same machine and share its cores. It prints the
// report and writes it as the "## xDS server (issue 3)" section of docs/benchmarks.md (not with --no-docs);
// --markdown also writes the section alone to FILE.
if (args.Length > 0 && args[0] == "host")
{
    return await ServerHost.RunAsync();
}

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Baton.Bench.Xds [--sizes 1000,5000,10000] [--pushes 3] [--streams-per-connection 100] [--budget-seconds 280] [--markdown FILE] [--no-docs] [--server-env NAME=VALUE]... [--hold-seconds S]");
    return 2;
}

// Whatever ends the driver, the server child goes with it (it also exits on its own when its stdin closes).
AppDomain.CurrentDomain.ProcessExit += (_, _) => HostProcess.KillAll();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => HostProcess.KillAll());
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => HostProcess.KillAll());

using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(options.BudgetSeconds));
var results = new List<ScenarioResult>();
var started = DateTimeOffset.UtcNow;
try
{
    foreach (var size in options.Sizes)
    {
        Console.Error.WriteLine($"--- {size} streams, {options.StreamsPerConnection} per connection");
        results.Add(await Scenario.RunAsync(size, options, budget.Token));
    }
}
catch (Exception e)
{
    Console.Error.WriteLine(budget.IsCancellationRequested
        ? $"benchmark stopped: over its {options.BudgetSeconds} s budget ({e.Message})"
        : $"benchmark failed: {e}");
    return 1;
}
finally
{
    HostProcess.KillAll();
}

var report = XdsReport.ToMarkdown(results, options, BenchMachine.Describe(), string.Join(' ', args), started, DateTimeOffset.UtcNow);
Console.WriteLine(report);
if (options.MarkdownPath is { } path)
{
    await File.WriteAllTextAsync(path, report);
}
if (options.WriteDocs)
{
    var docs = Path.Combine(RepoRoot(), "docs", "benchmarks.md");
    BenchmarksDoc.ReplaceSection(docs, XdsReport.SectionHeading, report);
    Console.Error.WriteLine($"written to {docs}");
}
return 0;

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Grpc.sln")))
        {
            return dir.FullName;
        }
    }
    throw new InvalidOperationException("run from inside the Baton repository (no Grpc.sln above the bench), or pass --no-docs");
}

internal sealed record BenchOptions(int[] Sizes, int Pushes, int StreamsPerConnection, int BudgetSeconds, string? MarkdownPath, bool WriteDocs)
{
    /// <summary>
    /// --server-env NAME=VALUE (repeatable): extra environment for the server process, e.g. GC settings to
    /// compare (DOTNET_gcServer=1, DOTNET_GCConserveMemory=5). Each one is printed in the report.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ServerEnvironment { get; init; } = [];

    /// <summary>--hold-seconds S: after measuring RSS with N idle streams, keep them S seconds (for a heap dump of the printed pid).</summary>
    public int HoldSeconds { get; init; }

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions([1000, 5000, 10000], 3, 100, 280, null, WriteDocs: true);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-docs")
            {
                options = options with { WriteDocs = false };
                continue;
            }
            if (i + 1 >= args.Length)
            {
                return null;
            }
            var value = args[++i];
            options = args[i - 1] switch
            {
                "--sizes" => options with { Sizes = value.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() },
                "--pushes" => options with { Pushes = int.Parse(value, CultureInfo.InvariantCulture) },
                "--streams-per-connection" => options with { StreamsPerConnection = int.Parse(value, CultureInfo.InvariantCulture) },
                "--budget-seconds" => options with { BudgetSeconds = int.Parse(value, CultureInfo.InvariantCulture) },
                "--markdown" => options with { MarkdownPath = value },
                "--server-env" when value.IndexOf('=', StringComparison.Ordinal) > 0 => options with
                {
                    ServerEnvironment = [.. options.ServerEnvironment, new(value[..value.IndexOf('=', StringComparison.Ordinal)], value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..])],
                },
                "--hold-seconds" => options with { HoldSeconds = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => null,
            };
            if (options is null)
            {
                return null;
            }
        }
        return options.StreamsPerConnection is >= 1 and <= 100 && options.Pushes >= 1 ? options : null;
    }
}

internal sealed record PushResult(
    double FirstReceivedMs, double ReceivedP50Ms, double P50Ms, double P99Ms, double MaxMs, double ConfirmedMs, string Outcome,
    double ServerCpuMs, double ClientCpuMs, long ServerAllocatedBytes, int Gen0, int Gen2, long ExtraResponses);

internal sealed record ScenarioResult(
    int Streams, int Connections, double ConnectSeconds, long Rss0, long RssN, long Heap0, long HeapN,
    int ServerFds, int ServerThreads, IReadOnlyList<PushResult> Pushes, string LoadBefore, string LoadAfter)
{
    public double RssPerStreamKb => (RssN - Rss0) / 1024.0 / Streams;

    public double HeapPerStreamKb => (HeapN - Heap0) / 1024.0 / Streams;
}

internal static class Scenario
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly (uint V1, uint V2)[] Steps = [(50, 50), (10, 90), (90, 10), (30, 70), (70, 30)];

    public static async Task<ScenarioResult> RunAsync(int size, BenchOptions options, CancellationToken cancellationToken)
    {
        var perConnection = options.StreamsPerConnection;
        var pushes = options.Pushes;
        var loadBefore = LoadAverage();
        await using var host = await HostProcess.StartAsync(options.ServerEnvironment, cancellationToken);
        await host.CommandAsync("set 100 0", CommandTimeout, cancellationToken);

        // Warm-up, unmeasured: a few streams connect, sync and take one step, then leave, so the baseline below
        // is a warm server (JIT done, pools primed) holding zero streams.
        await using (var warm = await Swarm.ConnectAsync(host.Address, 10, perConnection, cancellationToken))
        {
            await warm.Fleet.AllSynced.WaitAsync(CommandTimeout, cancellationToken);
            await PushAsync(host, warm, 10, (90, 10), cancellationToken);
        }
        await WaitForStreamsAsync(host, 0, cancellationToken);
        var heap0 = await GcAsync(host, cancellationToken);
        var rss0 = ProcStats.RssBytes(host.Pid);

        var connecting = Stopwatch.StartNew();
        await using var swarm = await Swarm.ConnectAsync(host.Address, size, perConnection, cancellationToken);
        using (var syncGuard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            syncGuard.CancelAfter(TimeSpan.FromSeconds(120));
            while (!swarm.Fleet.AllSynced.IsCompleted)
            {
                swarm.ThrowIfFailed();
                await Task.WhenAny(swarm.Fleet.AllSynced, Task.Delay(500, syncGuard.Token));
            }
        }
        await WaitForStreamsAsync(host, size, cancellationToken);
        var connectSeconds = connecting.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{size} streams on {swarm.Connections} connections synced in {connectSeconds:0.0} s");
        var heapN = await GcAsync(host, cancellationToken);
        var rssN = ProcStats.RssBytes(host.Pid);
        var fds = ProcStats.OpenFiles(host.Pid);
        var threads = Directory.GetDirectories($"/proc/{host.Pid}/task").Length;
        if (options.HoldSeconds > 0)
        {
            Console.Error.WriteLine($"holding {size} idle streams for {options.HoldSeconds} s: server pid {host.Pid}");
            await Task.Delay(TimeSpan.FromSeconds(options.HoldSeconds), cancellationToken);
        }

        var results = new List<PushResult>();
        for (var p = 0; p < pushes; p++)
        {
            await Task.Delay(500, cancellationToken); // let the GC and the connect storm settle
            var result = await PushAsync(host, swarm, size, Steps[p % Steps.Length], cancellationToken);
            Console.Error.WriteLine($"push {p + 1}: first received {result.FirstReceivedMs:0.0} ms, received p50 {result.ReceivedP50Ms:0.0} ms, p50 {result.P50Ms:0.0} ms, p99 {result.P99Ms:0.0} ms, max {result.MaxMs:0.0} ms, " +
                $"server confirmed {result.ConfirmedMs:0.0} ms, server CPU {result.ServerCpuMs:0} ms, client CPU {result.ClientCpuMs:0} ms, " +
                $"allocated {result.ServerAllocatedBytes / 1024.0 / 1024.0:0.0} MiB");
            results.Add(result);
        }
        return new ScenarioResult(size, swarm.Connections, connectSeconds, rss0, rssN, heap0, heapN, fds, threads, results,
            loadBefore, LoadAverage());
    }

    private static async Task<PushResult> PushAsync(HostProcess host, Swarm swarm, int size, (uint V1, uint V2) step, CancellationToken cancellationToken)
    {
        var probe = swarm.Fleet.Arm();
        var extra = swarm.Fleet.ResponsesDuringPush;
        var serverCpu = ProcStats.CpuSeconds(host.Pid);
        var clientCpu = ProcStats.CpuSeconds(Environment.ProcessId);
        var reply = await host.CommandAsync($"apply {step.V1} {step.V2} 30000", CommandTimeout, cancellationToken);
        await probe.All.WaitAsync(CommandTimeout, cancellationToken);
        // The stream workers take one more (empty) look after each ACK; count that work too.
        await Task.Delay(250, cancellationToken);
        serverCpu = ProcStats.CpuSeconds(host.Pid) - serverCpu;
        clientCpu = ProcStats.CpuSeconds(Environment.ProcessId) - clientCpu;
        swarm.ThrowIfFailed();

        // applied START END OUTCOME DATAPLANES ACKED ALLOCATED GEN0 GEN2
        var f = reply.Split(' ');
        if (f[0] != "applied" || f[3] != "Acked" || int.Parse(f[4], CultureInfo.InvariantCulture) != size)
        {
            throw new InvalidOperationException($"the weight step did not confirm on all {size} streams: {reply}");
        }
        var start = long.Parse(f[1], CultureInfo.InvariantCulture);
        var end = long.Parse(f[2], CultureInfo.InvariantCulture);
        var latencies = probe.AckedAt.Select(t => Ms(t - start)).Order().ToArray();
        var received = probe.ReceivedAt.Select(t => Ms(t - start)).Order().ToArray();
        return new PushResult(
            received[0],
            Percentile(received, 0.50),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies[^1],
            Ms(end - start),
            f[3],
            serverCpu * 1000,
            clientCpu * 1000,
            long.Parse(f[6], CultureInfo.InvariantCulture),
            int.Parse(f[7], CultureInfo.InvariantCulture),
            int.Parse(f[8], CultureInfo.InvariantCulture),
            swarm.Fleet.ResponsesDuringPush - extra - size);
    }

    private static async Task WaitForStreamsAsync(HostProcess host, int synced, CancellationToken cancellationToken)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            // streams OPEN SYNCED
            var f = (await host.CommandAsync("streams", CommandTimeout, guard.Token)).Split(' ');
            if (int.Parse(f[1], CultureInfo.InvariantCulture) == synced && int.Parse(f[2], CultureInfo.InvariantCulture) == synced)
            {
                return;
            }
            await Task.Delay(200, guard.Token);
        }
    }

    /// <summary>A full compacting GC in the server, so RSS compares live memory, not garbage; returns the managed heap size.</summary>
    private static async Task<long> GcAsync(HostProcess host, CancellationToken cancellationToken)
    {
        var f = (await host.CommandAsync("gc", CommandTimeout, cancellationToken)).Split(' ');
        await Task.Delay(200, cancellationToken);
        return long.Parse(f[2], CultureInfo.InvariantCulture);
    }

    /// <summary>The 1-minute load average: other work on the machine competes for the same cores.</summary>
    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
