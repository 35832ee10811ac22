using System.Diagnostics;
using System.Text.Json;

namespace Baton.Bench.Agent;

/// <summary>
/// PM2's side: bench/pm2/driver.js does the same N starts and stops through PM2's programmatic
/// API, with a PM2_HOME of its own; this class runs it and always kills that PM2 daemon afterwards.
/// </summary>
internal static class Pm2Scenario
{
    public sealed record Result(
        string Pm2Version,
        double DaemonStartMs,
        long IdleRssBytes,
        long LoadedRssBytes,
        List<double> LaunchToRunningMs,
        List<double> LaunchToReadyMs,
        List<double> StopMs);

    public static async Task<Result> RunAsync(string pm2Dir, string appDir, BenchSettings settings, CancellationToken cancel)
    {
        var pm2Home = Directory.CreateTempSubdirectory("baton-bench-pm2-").FullName;
        try
        {
            var json = await RunNodeAsync(pm2Home, pm2Dir, cancel, Path.Combine(pm2Dir, "driver.js"),
                "--app-dir", appDir,
                "--count", settings.Instances.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--first-port", settings.Pm2FirstPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--probe-interval-ms", settings.ProbeInterval.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--settle-ms", settings.Settle.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var lastLine = json.TrimEnd().Split('\n')[^1];
            var report = JsonSerializer.Deserialize(lastLine, DriverJsonContext.Default.DriverReport)
                ?? throw new InvalidOperationException("driver.js printed no result");
            return new Result(Pm2Version(pm2Dir), report.DaemonStartMs, report.DaemonRssIdleBytes, report.DaemonRssLoadedBytes,
                report.LaunchToRunningMs, report.LaunchToReadyMs, report.StopMs);
        }
        finally
        {
            await KillDaemonAsync(pm2Home, pm2Dir);
            try
            {
                Directory.Delete(pm2Home, recursive: true);
            }
            catch (IOException)
            {
                // A socket or log of a dying process: left for the OS to clear.
            }
        }
    }

    public static string Pm2Version(string pm2Dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(pm2Dir, "node_modules", "pm2", "package.json")));
        return doc.RootElement.GetProperty("version").GetString() ?? "?";
    }

    /// <summary>`pm2 kill` on this run's PM2_HOME, then SIGKILL to whatever it left (daemon and apps).</summary>
    private static async Task KillDaemonAsync(string pm2Home, string pm2Dir)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await RunNodeAsync(pm2Home, pm2Dir, timeout.Token, Path.Combine(pm2Dir, "node_modules", "pm2", "bin", "pm2"), "kill");
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            Console.Error.WriteLine($"pm2 kill failed ({e.Message}); killing its processes directly");
        }
        var pidFiles = new List<string>();
        if (Directory.Exists(Path.Combine(pm2Home, "pids"))) pidFiles.AddRange(Directory.GetFiles(Path.Combine(pm2Home, "pids"), "*.pid"));
        if (File.Exists(Path.Combine(pm2Home, "pm2.pid"))) pidFiles.Add(Path.Combine(pm2Home, "pm2.pid"));
        foreach (var file in pidFiles)
        {
            if (int.TryParse(File.ReadAllText(file).Trim(), out var pid) && ProcFs.IsAlive(pid)) ProcFs.Signal(pid, ProcFs.SigKill);
        }
    }

    private static async Task<string> RunNodeAsync(string pm2Home, string workingDirectory, CancellationToken cancel, params string[] args)
    {
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        psi.Environment["PM2_HOME"] = pm2Home;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        try
        {
            await process.WaitForExitAsync(cancel);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"node {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}

internal sealed record DriverReport(
    double DaemonStartMs,
    int DaemonPid,
    long DaemonRssIdleBytes,
    long DaemonRssLoadedBytes,
    List<double> LaunchToRunningMs,
    List<double> LaunchToReadyMs,
    List<double> StopMs);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DriverReport))]
internal sealed partial class DriverJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
