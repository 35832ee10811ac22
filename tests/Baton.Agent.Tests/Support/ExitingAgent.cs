using System.Diagnostics;

namespace Baton.Agent.Tests.Support;

/// <summary>How a baton-agent run that was expected to end on its own ended.</summary>
public sealed record AgentExit(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the real baton-agent (dotnet baton-agent.dll) to its exit, with stdout and stderr captured.</summary>
public static class ExitingAgent
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    public static async Task<AgentExit> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "baton-agent.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test decides every setting; the developer's own BATON_AGENT_* must not leak in.
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("BATON_AGENT_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);

        var clock = Stopwatch.StartNew();
        using var agent = Process.Start(psi) ?? throw new InvalidOperationException("could not start the agent");
        var stdout = agent.StandardOutput.ReadToEndAsync();
        var stderr = agent.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(HangGuard);
        try
        {
            await agent.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            agent.Kill(entireProcessTree: true);
            throw new TimeoutException($"baton-agent {string.Join(' ', args)} did not exit within {HangGuard.TotalSeconds} s; output so far:\n{await stdout}\n{await stderr}");
        }
        clock.Stop();
        return new AgentExit(agent.ExitCode, await stdout, await stderr, clock.Elapsed);
    }
}
