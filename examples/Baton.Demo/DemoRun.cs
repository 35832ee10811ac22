using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Baton.Demo;

/// <summary>
/// The demo itself: one agent and one server on loopback, the echo app applied and deployed twice
/// through the real CLI, the second time while a proxyless xDS client sends traffic. Every process it
/// starts is stopped in <see cref="DisposeAsync"/>, whichever way the run ends.
/// </summary>
internal sealed class DemoRun(DemoPaths paths, Screen screen) : IAsyncDisposable
{
    private const string App = "echo";
    private const string AgentName = "local";
    private const int InstancePortCount = 20;
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private readonly List<ChildProcess> _services = [];
    private TrafficClient? _traffic;

    /// <summary>Runs the demo; returns the failed requests the traffic client counted (the demo passes only at 0).</summary>
    public async Task<long> RunAsync(CancellationToken ct)
    {
        paths.CheckPrerequisites();
        var clock = Stopwatch.StartNew();
        screen.Section("1. Start baton-agent and baton server on 127.0.0.1");
        var agentPort = Ports.FreePort();
        var apiPort = Ports.FreePort();
        var xdsPort = Ports.FreePort();
        var instancePorts = Ports.FreeBlock(InstancePortCount);
        var agent = StartService("baton-agent", "agent.log",
            paths.AgentDll, "--listen", $"127.0.0.1:{agentPort}", "--metrics-listen", "off",
            "--data-dir", paths.AgentDataDir, "--port-range", $"{instancePorts}-{instancePorts + InstancePortCount - 1}");
        var server = StartService("baton server", "server.log",
            paths.BatonDll, "server", "--listen", $"127.0.0.1:{apiPort}", "--xds-listen", $"127.0.0.1:{xdsPort}",
            "--data-dir", paths.ServerDataDir);
        await Task.WhenAll(
            Ports.WaitUntilListeningAsync(agentPort, agent, StartLimit, ct),
            Ports.WaitUntilListeningAsync(apiPort, server, StartLimit, ct),
            Ports.WaitUntilListeningAsync(xdsPort, server, StartLimit, ct));
        screen.Line($"baton-agent    127.0.0.1:{agentPort}  (app instances get ports {instancePorts}-{instancePorts + InstancePortCount - 1})");
        screen.Line($"baton server   API 127.0.0.1:{apiPort} · xDS 127.0.0.1:{xdsPort}");
        screen.Line($"both answering after {clock.Elapsed.TotalSeconds:0.0} s");

        var cli = new BatonCli(paths, $"http://127.0.0.1:{apiPort}", screen);
        screen.Section("2. Register the agent and apply the app spec (examples/echo/echo.yaml)");
        await cli.RunAsync(ct, "agents", "add", AgentName, $"127.0.0.1:{agentPort}");
        await WriteSpecAsync(ct);
        await cli.RunAsync(ct, "apply", "-f", "echo.yaml");
        foreach (var version in new[] { "v1", "v2" }) await PackReleaseAsync(version, ct);

        screen.Section("3. Deploy v1 (the first release takes all traffic once its instances are ready)");
        await cli.RunAsync(ct, "deploy", App, "--artifact", "echo-v1.tar.gz", "--watch");

        screen.Section("4. Start traffic");
        screen.Line("A proxyless gRPC client (@grpc/grpc-js-xds) dials xds:///echo: it reads listeners, routes,");
        screen.Line("clusters and endpoints from Baton's xDS port, follows the weights Baton pushes, and reports");
        screen.Line("its load back, which the deploy's analysis and drain read. Envoy gets the very same resources;");
        screen.Line("it is not installed here, but `baton envoy bootstrap --app echo` prints the config for one.");
        _traffic = await TrafficClient.StartAsync(paths, App, xdsPort, ct);
        var flowing = await WaitForTrafficAsync(_traffic, ct);
        screen.Line($"traffic is flowing: {flowing.Succeeded} calls answered so far ({PerRelease(flowing)})");

        screen.Section("5. Deploy v2 while the traffic runs: 10 % → 50 % → 100 %, each step ACKed by the client");
        await cli.RunAsync(ct, "deploy", App, "--artifact", "echo-v2.tar.gz", "--watch");

        screen.Section("6. The receipt");
        await cli.RunAsync(ct, "history", App);

        var totals = await _traffic.StopAsync(ct);
        screen.Section("Traffic summary (counted by the client)");
        screen.Line($"total requests: {totals.Calls}");
        foreach (var (version, count) in totals.PerRelease.OrderBy(p => p.Key, StringComparer.Ordinal))
            screen.Line($"answered by {version}: {count}");
        screen.Line($"failed requests: {totals.Failed}");
        foreach (var error in totals.Errors) screen.Line($"  e.g. {error}");
        return totals.Failed;
    }

    /// <summary>Stops the traffic client, the agent and the server, then the app instances the agent left running.</summary>
    public async ValueTask DisposeAsync()
    {
        var problems = new List<string>();
        if (_traffic is not null) await _traffic.DisposeAsync();
        // The agent goes first: alive, it would restart the instances killed below.
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

    /// <summary>The example spec with the placeholder filled in: the instances find @grpc/grpc-js through NODE_PATH.</summary>
    private async Task WriteSpecAsync(CancellationToken ct)
    {
        var spec = await File.ReadAllTextAsync(paths.EchoSpec, ct);
        const string placeholder = "{{NODE_PATH}}";
        if (!spec.Contains(placeholder, StringComparison.Ordinal))
            throw new DemoFailedException($"{paths.EchoSpec} has no {placeholder} to fill in");
        await File.WriteAllTextAsync(Path.Combine(paths.WorkDir, "echo.yaml"), spec.Replace(placeholder, paths.NodeModules, StringComparison.Ordinal), ct);
    }

    /// <summary>echo-VERSION.tar.gz: the server script and its .proto side by side, as release-server.js expects, and a RELEASE file.</summary>
    private async Task PackReleaseAsync(string version, CancellationToken ct)
    {
        // The code is the same in both releases (the server answers with $BATON_VERSION, which the agent
        // sets); the RELEASE file makes each artifact, and its sha256, its own, as real builds are.
        var releaseFile = Path.Combine(paths.WorkDir, "RELEASE");
        await File.WriteAllTextAsync(releaseFile, $"{App} {version}\n", ct);
        await using var file = File.Create(Path.Combine(paths.WorkDir, $"{App}-{version}.tar.gz"));
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await using var tar = new TarWriter(gzip);
        await tar.WriteEntryAsync(Path.Combine(paths.ConformanceDir, "release-server.js"), "release-server.js", ct);
        await tar.WriteEntryAsync(Path.Combine(paths.ConformanceDir, "protos", "release_echo.proto"), "release_echo.proto", ct);
        await tar.WriteEntryAsync(releaseFile, "RELEASE", ct);
    }

    /// <summary>Waits for the first answered calls: the client has its routes, so the v2 steps will wait for its ACKs.</summary>
    private static async Task<TrafficTotals> WaitForTrafficAsync(TrafficClient traffic, CancellationToken ct)
    {
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var totals = await traffic.StatsAsync(ct);
            if (totals.Succeeded >= 100) return totals;
            if (DateTime.UtcNow > giveUp)
                throw new DemoFailedException($"the traffic client got no answers within 30 s ({totals.Failed} failed: {string.Join("; ", totals.Errors)}); see {traffic.LogPath}");
            await Task.Delay(250, ct);
        }
    }

    private static string PerRelease(TrafficTotals totals) =>
        string.Join(", ", totals.PerRelease.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
}
