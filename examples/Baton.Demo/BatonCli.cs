namespace Baton.Demo;

/// <summary>Runs the real `baton` CLI against the demo's server, showing the command and its output as it comes.</summary>
internal sealed class BatonCli(DemoPaths paths, string serverAddress, Screen screen)
{
    private const int InterruptedExitCode = 130;

    /// <summary>Runs `baton ARGS` in the work dir (so file arguments read as the user would type them); non-zero exit fails the demo.</summary>
    public async Task<string> RunAsync(CancellationToken ct, params string[] arguments)
    {
        screen.Command("baton " + string.Join(' ', arguments));
        var stdout = new System.Text.StringBuilder();
        await using var process = ChildProcess.Start(
            $"baton {arguments[0]}", "dotnet", [paths.BatonDll, .. arguments],
            Path.Combine(paths.LogDir, "cli.log"),
            workingDirectory: paths.WorkDir,
            environment: new Dictionary<string, string>
            {
                ["BATON_SERVER"] = serverAddress,
                // The demo prints the CLI's lines under its own headings: plain lines, no colours.
                ["NO_COLOR"] = "1",
            },
            onStdout: line =>
            {
                lock (stdout) stdout.AppendLine(line);
                screen.Output(line);
            },
            onStderr: screen.Output);
        var exitCode = await process.WaitForExitAsync(ct);
        // 130: the CLI saw the Ctrl+C meant for the whole demo (a terminal sends it to every process in the foreground).
        if (exitCode == InterruptedExitCode) throw new OperationCanceledException($"`baton {arguments[0]}` was interrupted");
        if (exitCode != 0) throw new DemoFailedException($"`baton {string.Join(' ', arguments)}` failed (exit code {exitCode})");
        lock (stdout) return stdout.ToString();
    }
}
