using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Baton.Bench.Deploy;

/// <summary>One command's timing over many process runs: wall clock, and the CPU the process itself used.</summary>
internal sealed record CliTiming(string Name, string CommandLine, int Runs, double MeanMs, double StdDevMs, double MedianMs, double MinMs, double UserMs, double SystemMs);

internal sealed record CliResults(string Tool, IReadOnlyList<CliTiming> Timings, string Pm2Version, string LoadBefore, string LoadAfter);

/// <summary>
/// Issue 4's CLI fixed cost: `baton status APP` against the running server, as each build of
/// `baton` runs it, next to `pm2 status` against a running PM2 daemon (its own PM2_HOME, one app),
/// all in one hyperfine run (or, without hyperfine, a loop of process runs timed with a Stopwatch).
/// </summary>
internal static class CliScenario
{
    public const int Runs = 15;
    public const int Warmup = 2;

    public static async Task<CliResults> RunAsync(BenchPaths paths, string server, string app, CancellationToken cancel)
    {
        var statusArgs = $"status {app} --server {server}";
        var commands = new List<(string Name, string CommandLine)>();
        if (paths.BatonPublished is { } published)
        {
            var kind = BenchPaths.Kind(published);
            commands.Add(($"baton, {kind} (published)", $"{published} {statusArgs}"));
            commands.Add(($"baton, {kind} (published), --json", $"{published} {statusArgs} --json"));
        }
        if (paths.BatonReadyToRun is { } readyToRun) commands.Add(("baton, ReadyToRun", $"{readyToRun} {statusArgs}"));
        commands.Add(("dotnet baton.dll (JIT build)", $"dotnet {paths.BatonDll} {statusArgs}"));

        var pm2Home = Directory.CreateTempSubdirectory("baton-bench-pm2-").FullName;
        var pm2 = Path.Combine(paths.Pm2Dir, "node_modules", "pm2", "bin", "pm2");
        var pm2Env = new Dictionary<string, string> { ["PM2_HOME"] = pm2Home };
        commands.Add(("pm2 status", $"node {pm2} status"));
        try
        {
            // A daemon with one app running, so `pm2 status` has a table to print, like `baton status`.
            await RunToEndAsync("node", [pm2, "start", Path.Combine(paths.Repo, "bench", "apps", "app.js"), "--name", "bench-app"],
                new Dictionary<string, string>(pm2Env) { ["PORT"] = LoopbackPorts.Ephemeral().ToString(CultureInfo.InvariantCulture) }, cancel);
            var pm2Version = (await RunToEndAsync("node", [pm2, "--version"], pm2Env, cancel)).Trim().Split('\n')[^1];
            // Each command once, checked: a failing command would be timed as a fast one.
            foreach (var (name, commandLine) in commands)
            {
                var parts = commandLine.Split(' ');
                await RunToEndAsync(parts[0], parts[1..], pm2Env, cancel);
            }
            var loadBefore = LoadAverage();
            var timings = Hyperfine() is { } hyperfine
                ? await WithHyperfineAsync(hyperfine, commands, pm2Env, cancel)
                : await WithStopwatchAsync(commands, pm2Env, cancel);
            return new CliResults(Hyperfine() is null ? "Stopwatch loop" : "hyperfine", timings, pm2Version, loadBefore, LoadAverage());
        }
        finally
        {
            try
            {
                await RunToEndAsync("node", [pm2, "kill"], pm2Env, CancellationToken.None);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"warning: pm2 kill failed: {e.Message}");
                if (File.Exists(Path.Combine(pm2Home, "pm2.pid")) && int.TryParse(File.ReadAllText(Path.Combine(pm2Home, "pm2.pid")).Trim(), out var pid))
                    ProcFs.Signal(pid, ProcFs.SigKill);
            }
            try
            {
                Directory.Delete(pm2Home, recursive: true);
            }
            catch (IOException)
            {
                // a socket still held by the dying daemon: left for the OS's temp cleanup
            }
        }
    }

    private static string? Hyperfine() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "hyperfine")).FirstOrDefault(File.Exists);

    private static async Task<IReadOnlyList<CliTiming>> WithHyperfineAsync(string hyperfine, List<(string Name, string CommandLine)> commands, Dictionary<string, string> env, CancellationToken cancel)
    {
        var export = Path.Combine(Path.GetTempPath(), $"baton-bench-cli-{Environment.ProcessId}.json");
        // -N: no intermediate shell, so its start-up is not counted; output goes to /dev/null (not a terminal: the plain-text path).
        var args = new List<string> { "-N", "--warmup", Warmup.ToString(CultureInfo.InvariantCulture), "--runs", Runs.ToString(CultureInfo.InvariantCulture), "--style", "basic", "--export-json", export };
        foreach (var (name, commandLine) in commands)
        {
            args.Add("--command-name");
            args.Add(name);
            args.Add(commandLine);
        }
        try
        {
            Console.WriteLine(await RunToEndAsync(hyperfine, args, env, cancel));
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(export, cancel));
            return document.RootElement.GetProperty("results").EnumerateArray().Select((r, i) => new CliTiming(
                commands[i].Name,
                commands[i].CommandLine,
                r.GetProperty("times").GetArrayLength(),
                r.GetProperty("mean").GetDouble() * 1000,
                r.GetProperty("stddev").GetDouble() * 1000,
                r.GetProperty("median").GetDouble() * 1000,
                r.GetProperty("min").GetDouble() * 1000,
                r.GetProperty("user").GetDouble() * 1000,
                r.GetProperty("system").GetDouble() * 1000)).ToList();
        }
        finally
        {
            File.Delete(export);
        }
    }

    private static async Task<IReadOnlyList<CliTiming>> WithStopwatchAsync(List<(string Name, string CommandLine)> commands, Dictionary<string, string> env, CancellationToken cancel)
    {
        var timings = new List<CliTiming>();
        foreach (var (name, commandLine) in commands)
        {
            var parts = commandLine.Split(' ');
            var samples = new List<double>();
            double cpu = 0;
            for (var i = 0; i < Warmup + Runs; i++)
            {
                var clock = Stopwatch.StartNew();
                var (_, userMs, systemMs) = await RunWithCpuAsync(parts[0], parts[1..], env, cancel);
                if (i < Warmup) continue;
                samples.Add(clock.Elapsed.TotalMilliseconds);
                cpu += userMs + systemMs;
            }
            var mean = samples.Average();
            var sd = Math.Sqrt(samples.Sum(s => (s - mean) * (s - mean)) / Math.Max(1, samples.Count - 1));
            var d = Distribution.Of(samples);
            timings.Add(new CliTiming(name, commandLine, samples.Count, mean, sd, d.Median, d.Min, cpu / samples.Count, 0));
        }
        return timings;
    }

    private static async Task<string> RunToEndAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, CancellationToken cancel) =>
        (await RunWithCpuAsync(file, args, env, cancel)).Output;

    private static async Task<(string Output, double UserMs, double SystemMs)> RunWithCpuAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, CancellationToken cancel)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        // Only the loop fallback uses these; a reaped process may no longer say, hence NaN.
        double user, system;
        try
        {
            user = process.UserProcessorTime.TotalMilliseconds;
            system = process.PrivilegedProcessorTime.TotalMilliseconds;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            user = system = double.NaN;
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return (await stdout, user, system);
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
}
