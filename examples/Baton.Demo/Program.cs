using System.Diagnostics;
using System.Runtime.InteropServices;
using Baton.Demo;

// `dotnet cake --target=Demo` builds Baton, installs the npm packages, then runs this program.
//   Baton.Demo [--work-dir DIR]     DIR: where to work (created, removed at the end); default a fresh temp dir
const int Succeeded = 0, Failed = 1, UsageError = 2, Interrupted = 130;

string? workDirArgument = null;
if (args.Length == 2 && args[0] == "--work-dir") workDirArgument = args[1];
else if (args.Length != 0)
{
    Console.Error.WriteLine("usage: Baton.Demo [--work-dir DIR]");
    return UsageError;
}

using var interrupt = new CancellationTokenSource();
// Ctrl+C (or a SIGTERM) must not end the demo on the spot: it ends the run, then the cleanup stops every child.
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    interrupt.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var onHangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

DemoPaths paths;
try
{
    paths = DemoPaths.Locate(workDirArgument);
}
catch (DemoFailedException e)
{
    Console.Error.WriteLine($"demo: {e.Message}");
    return Failed;
}

var clock = Stopwatch.StartNew();
var exitCode = Failed;
string? failure = null;
using (var screen = new Screen(Console.Out, Path.Combine(paths.LogDir, "demo.log")))
{
    screen.Write("Baton demo: a zero-downtime deploy with traffic flowing, on this machine only.");
    screen.Write($"Working in {paths.WorkDir} (removed at the end).");
    try
    {
        await using (var run = new DemoRun(paths, screen))
        {
            var failedRequests = await run.RunAsync(interrupt.Token);
            if (failedRequests == 0) exitCode = Succeeded;
            else failure = $"the client saw {failedRequests} failed requests during the deploys";
        }
    }
    catch (Exception e) when (interrupt.IsCancellationRequested || e is OperationCanceledException)
    {
        // Ctrl+C on a terminal reaches the children too, and one may end before the demo sees the signal.
        exitCode = Interrupted;
    }
    catch (DemoFailedException e)
    {
        failure = e.Message;
    }
    catch (Exception e)
    {
        // Not a failure the demo foresaw: the whole exception, for the bug report.
        failure = e.ToString();
    }

    screen.Write("");
    if (exitCode == Interrupted) screen.Write("Interrupted: every process the demo started is stopped.");
    else if (failure is null) screen.Write($"Demo finished in {clock.Elapsed.TotalSeconds:0} s; every process it started is stopped.");
    else screen.Write($"Demo FAILED after {clock.Elapsed.TotalSeconds:0} s: {failure}");
}

if (failure is not null)
{
    var kept = KeepLogs(paths);
    Console.WriteLine(kept is null ? $"Logs: {paths.LogDir} (could not be copied; the work dir is kept)" : $"Logs: {kept}");
    if (kept is null) return exitCode;
}
try
{
    Directory.Delete(paths.WorkDir, recursive: true);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"demo: could not remove {paths.WorkDir}: {e.Message}");
}
return exitCode;

// The work dir is removed, so a failed run's logs (the demo's, the agent's, the server's, the CLI's,
// the client's, and each app instance's) are copied to artifacts/demo-logs first.
static string? KeepLogs(DemoPaths paths)
{
    try
    {
        if (Directory.Exists(paths.KeptLogsDir)) Directory.Delete(paths.KeptLogsDir, recursive: true);
        Directory.CreateDirectory(paths.KeptLogsDir);
        foreach (var log in Directory.EnumerateFiles(paths.LogDir))
            File.Copy(log, Path.Combine(paths.KeptLogsDir, Path.GetFileName(log)));
        var instances = Path.Combine(paths.AgentDataDir, "instances");
        if (Directory.Exists(instances))
            foreach (var log in Directory.EnumerateFiles(instances, "*.log", SearchOption.AllDirectories))
                File.Copy(log, Path.Combine(paths.KeptLogsDir, $"instance-{Path.GetFileName(Path.GetDirectoryName(log))}-{Path.GetFileName(log)}"), overwrite: true);
        return paths.KeptLogsDir;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"demo: could not copy the logs to {paths.KeptLogsDir}: {e.Message}");
        return null;
    }
}
