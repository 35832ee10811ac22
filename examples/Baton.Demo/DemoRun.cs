using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Baton.Demo;

/// <summary>
/// The demo itself: baton server, one baton-agent and one baton-proxy on loopback, the hello app
/// (examples/hello) applied and deployed twice through the real CLI, the second time while HTTP
/// clients send traffic through the proxy. Every process it starts is stopped in
/// <see cref="DisposeAsync"/>, whichever way the run ends.
/// </summary>
internal sealed partial class DemoRun(DemoPaths paths, Screen screen) : IAsyncDisposable
{
    private const string App = "hello";
    private const string AgentName = "local";
    private const int InstancePortCount = 20;
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private readonly List<ChildProcess> _services = [];
    private HttpTraffic? _traffic;

    /// <summary>Runs the demo; returns the failed requests the traffic counted (the demo passes only at 0).</summary>
    public async Task<long> RunAsync(CancellationToken ct)
    {
        paths.CheckPrerequisites();
        var clock = Stopwatch.StartNew();
        screen.Section("1. Start baton server, baton-agent and baton-proxy on 127.0.0.1");
        var agentPort = LoopbackPorts.Ephemeral();
        var apiPort = LoopbackPorts.Ephemeral();
        var xdsPort = LoopbackPorts.Ephemeral();
        var publicPort = LoopbackPorts.Ephemeral();
        var instancePorts = LoopbackPorts.FreeBlock(InstancePortCount);
        var agent = StartService("baton-agent", "agent.log",
            paths.AgentDll, "--listen", $"127.0.0.1:{agentPort}", "--metrics-listen", "off",
            "--data-dir", paths.AgentDataDir, "--port-range", $"{instancePorts}-{instancePorts + InstancePortCount - 1}");
        var server = StartService("baton server", "server.log",
            paths.BatonDll, "server", "--listen", $"127.0.0.1:{apiPort}", "--xds-listen", $"127.0.0.1:{xdsPort}",
            "--data-dir", paths.ServerDataDir);
        var proxy = StartService("baton-proxy", "proxy.log",
            paths.ProxyDll, "--xds", $"http://127.0.0.1:{xdsPort}", "--node", "demo-proxy", "--apps", App,
            "--listen-address", "127.0.0.1");
        await Task.WhenAll(
            Ports.WaitUntilListeningAsync(agentPort, agent, StartLimit, ct),
            Ports.WaitUntilListeningAsync(apiPort, server, StartLimit, ct),
            Ports.WaitUntilListeningAsync(xdsPort, server, StartLimit, ct));
        screen.Line($"baton server   API 127.0.0.1:{apiPort} · xDS 127.0.0.1:{xdsPort}");
        screen.Line($"baton-agent    127.0.0.1:{agentPort}  (app instances get ports {instancePorts}-{instancePorts + InstancePortCount - 1})");
        screen.Line("baton-proxy    reads its listeners, routes, clusters and endpoints from the xDS port, as Envoy would");
        screen.Line($"all answering after {clock.Elapsed.TotalSeconds:0.0} s");

        var cli = new BatonCli(paths, $"http://127.0.0.1:{apiPort}", screen);
        screen.Section("2. Register the agent and apply the app spec (examples/hello/hello.yaml)");
        await cli.RunAsync(ct, "agents", "add", AgentName, $"127.0.0.1:{agentPort}");
        await WriteSpecAsync(publicPort, ct);
        await cli.RunAsync(ct, "apply", "-f", "hello.yaml");
        foreach (var version in new[] { "v1", "v2" }) await PackReleaseAsync(version, ct);

        screen.Section("3. Deploy v1 (the first release takes all traffic once its instances are ready)");
        await cli.RunAsync(ct, "deploy", App, "--artifact", "hello-v1.tar.gz", "--watch");
        await Ports.WaitUntilListeningAsync(publicPort, proxy, StartLimit, ct);
        screen.Line($"baton-proxy now listens on 127.0.0.1:{publicPort} for hello (routing.public_port, moved to a free port for the demo)");

        screen.Section("4. Start traffic");
        screen.Line($"Three keep-alive HTTP clients call GET / on 127.0.0.1:{publicPort} back to back, never retrying;");
        screen.Line("a fourth always holds a GET /slow?ms=1500 in flight, so requests are mid-way at every switch.");
        screen.Line("Each answer names the release that served it. The proxy reports its load to Baton, which the");
        screen.Line("deploy's analysis and drain read (Envoy gets the very same resources: `baton envoy bootstrap`).");
        _traffic = HttpTraffic.Start(publicPort);
        var flowing = await WaitForTrafficAsync(_traffic, ct);
        screen.Line($"traffic is flowing: {flowing.Succeeded} requests answered so far ({PerRelease(flowing)})");

        screen.Section("5. Deploy v2 while the traffic runs: 10 % → 50 % → 100 %, each step ACKed by the proxy");
        await cli.RunAsync(ct, "deploy", App, "--artifact", "hello-v2.tar.gz", "--watch");

        screen.Section("6. The receipt");
        await cli.RunAsync(ct, "history", App);

        var totals = await _traffic.StopAsync();
        screen.Section("Traffic summary (counted by the clients)");
        screen.Line($"total requests: {totals.Requests} ({totals.LongRequests} of them 1.5 s long)");
        foreach (var (version, count) in totals.PerRelease.OrderBy(p => p.Key, StringComparer.Ordinal))
            screen.Line($"answered by {version}: {count}");
        screen.Line($"failed requests: {totals.Failed}");
        foreach (var error in totals.Errors) screen.Line($"  e.g. {error}");
        return totals.Failed;
    }

    /// <summary>Stops the traffic, the proxy, the agent and the server, then the app instances the agent left running.</summary>
    public async ValueTask DisposeAsync()
    {
        var problems = new List<string>();
        if (_traffic is not null) await _traffic.DisposeAsync();
        // The agent goes with the others: alive, it would restart the instances killed below.
        await Task.WhenAll(_services.Select(s => s.StopAsync(TimeSpan.FromSeconds(5))));
        try
        {
            await InstanceReaper.KillInstanceGroupsAsync(paths.AgentDataDir);
        }
        catch (DemoFailedException e)
        {
            problems.Add(e.Message);
        }
        foreach (var service in _services) await service.DisposeAsync();
        if (problems.Count > 0) throw new DemoFailedException(string.Join("; ", problems));
    }

    private ChildProcess StartService(string name, string logFile, params string[] arguments)
    {
        var process = ChildProcess.Start(name, "dotnet", arguments, Path.Combine(paths.LogDir, logFile));
        _services.Add(process);
        return process;
    }

    /// <summary>The example spec with its public port moved to a free one: 8080 may be taken on this machine.</summary>
    private async Task WriteSpecAsync(int publicPort, CancellationToken ct)
    {
        var spec = await File.ReadAllTextAsync(paths.HelloSpec, ct);
        if (!PublicPortLine().IsMatch(spec))
            throw new DemoFailedException($"{paths.HelloSpec} has no `public_port:` line to move to a free port");
        await File.WriteAllTextAsync(Path.Combine(paths.WorkDir, "hello.yaml"), PublicPortLine().Replace(spec, $"${{indent}}public_port: {publicPort}", 1), ct);
    }

    /// <summary>hello-VERSION.tar.gz: examples/hello/VERSION packed flat, as `tar -czf hello-v2.tar.gz -C examples/hello/v2 .` would.</summary>
    private async Task PackReleaseAsync(string version, CancellationToken ct)
    {
        var source = Path.Combine(paths.HelloDir, version);
        await using var file = File.Create(Path.Combine(paths.WorkDir, $"{App}-{version}.tar.gz"));
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await using var tar = new TarWriter(gzip);
        foreach (var path in Directory.EnumerateFiles(source).Order(StringComparer.Ordinal))
            await tar.WriteEntryAsync(path, Path.GetFileName(path), ct);
    }

    /// <summary>Waits for the first answered requests: the proxy has its routes, so the v2 steps will wait for its ACKs.</summary>
    private static async Task<TrafficTotals> WaitForTrafficAsync(HttpTraffic traffic, CancellationToken ct)
    {
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var totals = traffic.Totals();
            if (totals.Succeeded >= 100) return totals;
            if (DateTime.UtcNow > giveUp)
                throw new DemoFailedException($"no answers through the proxy within 30 s ({totals.Failed} failed: {string.Join("; ", totals.Errors)}); see proxy.log");
            await Task.Delay(250, ct);
        }
    }

    private static string PerRelease(TrafficTotals totals) =>
        string.Join(", ", totals.PerRelease.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));

    [GeneratedRegex(@"^(?<indent>\s*)public_port:\s*\d+", RegexOptions.Multiline)]
    private static partial Regex PublicPortLine();
}
