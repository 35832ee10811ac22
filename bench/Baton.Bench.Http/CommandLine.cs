using System.Diagnostics;

namespace Baton.Bench.Http;

/// <summary>A finished command: its exit code, how long it took, and what it wrote.</summary>
internal sealed record CommandResult(int ExitCode, TimeSpan Elapsed, string Stdout, string Stderr)
{
    /// <summary>stdout then stderr, for messages and for commands that mix them.</summary>
    public string Output => Stdout + Stderr;
}

/// <summary>Runs a command to its end with a time limit (no shell), e.g. `pm2 reload` or `baton deploy --watch`.</summary>
internal static class CommandLine
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, TimeSpan limit, CancellationToken cancel,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancel.IsCancellationRequested) throw;
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit.TotalSeconds:0} s");
        }
        var elapsed = clock.Elapsed;
        return new CommandResult(process.ExitCode, elapsed, await stdout, await stderr);
    }

    /// <summary>Like <see cref="RunAsync"/>, but a non-zero exit is an error.</summary>
    public static async Task<CommandResult> RunCheckedAsync(string file, IEnumerable<string> args, TimeSpan limit, CancellationToken cancel,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var list = args.ToList();
        var result = await RunAsync(file, list, limit, cancel, environment, workingDirectory);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', list)} exited {result.ExitCode}:\n{result.Output}");
        return result;
    }
}
