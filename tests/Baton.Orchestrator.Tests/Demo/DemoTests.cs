using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

using Baton.Orchestrator.Tests.Support;

namespace Baton.Orchestrator.Tests.Demo;

/// <summary>
/// The README's demo (examples/Baton.Demo), run as `dotnet cake --target=Demo` runs it: a child
/// process on the built dll, with its work dir chosen here so that whatever it leaves behind can be found.
/// </summary>
public sealed class DemoTests
{
    /// <summary>The demo takes ~30 s; this only stops a hang, it is not a claim about speed.</summary>
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 150_000)]
    [Trait("Duration", "Long")]
    public async Task The_demo_deploys_v1_then_v2_under_traffic_without_a_failed_request_and_leaves_no_process_behind()
    {
        var workDir = Path.Combine(Path.GetTempPath(), "baton-demo-test-" + Guid.NewGuid().ToString("n")[..12]);
        var output = new StringBuilder();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { DemoDll(), "--work-dir", workDir }) psi.ArgumentList.Add(argument);
        using var demo = Process.Start(psi) ?? throw new InvalidOperationException("could not start the demo");
        demo.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        demo.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        demo.BeginOutputReadLine();
        demo.BeginErrorReadLine();

        using (var limit = new CancellationTokenSource(RunLimit))
        {
            try
            {
                await demo.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM is the demo's Ctrl+C: it stops its children itself. Only if that hangs too is it killed.
                _ = kill(demo.Id, SigTerm);
                using var cleanupLimit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await demo.WaitForExitAsync(cleanupLimit.Token);
                }
                catch (OperationCanceledException)
                {
                    demo.Kill();
                }
                Assert.Fail($"the demo did not finish within {RunLimit.TotalSeconds:0} s; output:\n{output}\nleft behind: {string.Join(", ", Leftovers(workDir))}");
            }
        }
        demo.WaitForExit(); // the end of the redirected output
        var text = output.ToString();

        Assert.True(demo.ExitCode == 0, $"exit code {demo.ExitCode}; output:\n{text}");
        Assert.Contains("failed requests: 0", text, StringComparison.Ordinal);
        // Deploy v2 under traffic: the watch saw every step, and the receipt holds them with the client's load.
        Assert.Contains("of hello: v1 → v2: succeeded", text, StringComparison.Ordinal);
        Assert.Contains("receipt of deploy", text, StringComparison.Ordinal);
        Assert.Contains(text.Split('\n'), l => l.Contains("v2 10 % · v1 90 %", StringComparison.Ordinal) && l.Contains("passed", StringComparison.Ordinal));
        Assert.Contains(text.Split('\n'), l => l.Contains("v2 100 % · v1 0 %", StringComparison.Ordinal) && l.Contains("passed", StringComparison.Ordinal));
        Assert.Contains("answered by v2: ", text, StringComparison.Ordinal);
        Assert.Empty(Leftovers(workDir));
        Assert.False(Directory.Exists(workDir), $"the demo left its work dir {workDir}");
    }

    /// <summary>The demo built in the same configuration as this test.</summary>
    private static string DemoDll() => RepoLayout.BuiltDll(Path.Combine("examples", "Baton.Demo"), "Baton.Demo.dll");

    /// <summary>
    /// Live processes that mention the work dir in their command line (agent, server, CLI, the traffic
    /// client's bootstrap) or their environment (the app instances, marked BATON_AGENT_DATA_DIR=WORKDIR/agent).
    /// </summary>
    private static List<string> Leftovers(string workDir)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)] == 'Z') continue;
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(workDir, StringComparison.Ordinal) || File.ReadAllText(Path.Combine(dir, "environ")).Contains(workDir, StringComparison.Ordinal))
                    found.Add($"{pid} {commandLine.Trim()}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or another user's process: not the demo's.
            }
        }
        return found;
    }

    private const int SigTerm = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
