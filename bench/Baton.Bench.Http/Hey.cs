using System.Globalization;

namespace Baton.Bench.Http;

/// <summary>The load generator: Debian's `hey`, run as a child process on loopback URLs only.</summary>
internal static class Hey
{
    public const string InstallHint = "hey is not installed: `apt-get install -y hey` (Debian's package; `dotnet cake --target=Bench` installs it when run as root)";

    /// <summary>Per-request timeout: a request held longer than this counts as failed, as it would for a client.</summary>
    private const int TimeoutSeconds = 10;

    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "hey")).FirstOrDefault(File.Exists);

    /// <summary>Runs <paramref name="profile"/> against <paramref name="url"/> with per-request CSV output.</summary>
    public static async Task<LoadRun> RunCsvAsync(string url, LoadProfile profile, CancellationToken cancel)
    {
        var args = new List<string>
        {
            "-n", Inv(profile.Requests), "-c", Inv(profile.Workers), "-q", Inv(profile.RatePerWorker),
            "-t", Inv(TimeoutSeconds), "-o", "csv",
        };
        if (!profile.KeepAlive) args.Add("-disable-keepalive");
        args.Add(url);
        var csv = await RunAsync(args, profile.Duration + TimeSpan.FromSeconds(TimeoutSeconds + 20), cancel);
        return LoadRun.FromCsv(csv, profile.Requests);
    }

    /// <summary>Runs hey for a fixed duration (optionally rate-limited) and reads its summary.</summary>
    public static async Task<HeySummary> RunForAsync(string url, int workers, int? ratePerWorker, TimeSpan duration, CancellationToken cancel)
    {
        var args = new List<string> { "-z", $"{(int)duration.TotalSeconds}s", "-c", Inv(workers), "-t", Inv(TimeoutSeconds) };
        if (ratePerWorker is { } q) args.AddRange(["-q", Inv(q)]);
        args.Add(url);
        return HeySummary.Parse(await RunAsync(args, duration + TimeSpan.FromSeconds(TimeoutSeconds + 20), cancel));
    }

    private static async Task<string> RunAsync(List<string> args, TimeSpan limit, CancellationToken cancel)
    {
        if (args[^1] is var url && !url.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))
            throw new InvalidOperationException($"the load generator only targets 127.0.0.1, not {url}");
        var result = await CommandLine.RunAsync(Find() ?? throw new InvalidOperationException(InstallHint), args, limit, cancel);
        if (result.ExitCode != 0) throw new InvalidOperationException($"hey {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }

    private static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);
}
