using System.Diagnostics;
using System.Text;

namespace Baton.Orchestrator.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the real `baton` (dotnet baton.dll) as a child process, with stdout and stderr captured (so not a terminal).</summary>
internal static class BatonCli
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    public static async Task<CliResult> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "baton.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test decides every Baton variable; the developer's own must not leak in.
        foreach (var name in new[] { "BATON_SERVER", "BATON_TOKEN", "BATON_TOKEN_FILE" }) psi.Environment.Remove(name);
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet baton.dll");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(HangGuard);
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"baton {string.Join(' ', args)} did not exit within {HangGuard.TotalSeconds} s; output so far:\n{await stdout}\n{await stderr}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<CliResult> RunAsync(TestOrchestratorServer server, params string[] args) =>
        RunAsync([.. args, "--server", server.Address.ToString()]);
}
