using Baton.Protos.Orchestrator.V1;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>Issue 4, scenario 5: bad specs and commands are refused clearly and change nothing.</summary>
public sealed class RefusalTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bad_specs_and_commands_are_refused_with_clear_messages_and_change_nothing()
    {
        await using var cluster = await EndToEndCluster.StartAsync(output);

        // A spec with errors: every one reported with its line and field, nothing stored.
        var bad = await cluster.ApplyRawAsync("""
            name: echo
            command: node
            placement:
              instances_per_agent: 0
            strategy:
              stpes: [{weight: 10}]
              drain_timeout: 5
            """);
        output.WriteLine(bad.ToString());
        Assert.True(bad.ExitCode == 1, bad.ToString());
        Assert.Contains("echo.yaml:4: placement.instances_per_agent:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("echo.yaml:6: strategy.stpes: unknown key (did you mean \"steps\"?)", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("echo.yaml:7: strategy.drain_timeout:", bad.Stderr, StringComparison.Ordinal);
        var status = await cluster.CliAsync("status", "echo");
        Assert.True(status.ExitCode == 1 && status.Stderr.Contains("no app echo", StringComparison.Ordinal), status.ToString());

        // Deploys of an unknown app, or of a version without an artifact: refused, nothing recorded.
        var unknownApp = await cluster.CliAsync("deploy", "nosuch", "--version", "v1");
        Assert.True(unknownApp.ExitCode == 1 && unknownApp.Stderr.StartsWith("baton: no app nosuch", StringComparison.Ordinal), unknownApp.ToString());
        await cluster.ApplyAsync(EndToEndCluster.Spec("""
            steps: [{weight: 20, manual: true}]
            drain_timeout: 5s
            """));
        var noArtifact = await cluster.CliAsync("deploy", "echo", "--version", "v9");
        Assert.True(noArtifact.ExitCode == 1 && noArtifact.Stderr.Contains("no artifact for echo v9", StringComparison.Ordinal), noArtifact.ToString());
        Assert.Empty((await cluster.HistoryAsync()).Deploys);

        // A second deploy while one runs: refused, naming the running one.
        await cluster.DeployToEndAsync("v1");
        var v1 = await cluster.ReadyPidsAsync("v1", expected: 2);
        var running = await cluster.DeployAsync("v2");
        await cluster.WaitForDeployAsync(running.Id, d => d.Phase == DeployPhase.Paused, "v2 held at its manual gate");
        var second = await cluster.CliAsync("deploy", "echo", "--artifact", cluster.Artifact("v3"));
        output.WriteLine(second.ToString());
        Assert.True(second.ExitCode == 1 && second.Stderr.Contains($"deploy {running.Id} of echo (v1 → v2) is paused", StringComparison.Ordinal), second.ToString());
        Assert.Equal(2, (await cluster.HistoryAsync()).Deploys.Count);

        // Abort rolls the running deploy back; with nothing running it says so and changes nothing.
        var abort = await cluster.CliAsync("abort", "echo");
        Assert.True(abort.ExitCode == 0, abort.ToString());
        var rolledBack = await cluster.WaitForDeployAsync(running.Id, EndToEndCluster.DeployFinished, "the aborted deploy ends");
        Assert.Equal(DeployPhase.RolledBack, rolledBack.Phase);
        Assert.Equal("aborted by operator", rolledBack.Reason);
        var before = await cluster.HistoryAsync();
        var nothing = await cluster.CliAsync("abort", "echo");
        output.WriteLine(nothing.ToString());
        Assert.Contains("nothing to abort", nothing.Stdout + nothing.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await cluster.HistoryAsync());
        Assert.Equal(v1, await cluster.ReadyPidsAsync("v1", expected: 2));
    }
}
