namespace Baton.Orchestrator.Tests.Cli;

/// <summary>The human output of the read commands, without colours or escape sequences when stdout is not a terminal.</summary>
public sealed class CliOutputTests
{
    [Fact]
    public async Task Ps_lists_every_instance_like_pm2_ls_and_reports_unreachable_agents_on_stderr()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, "ps");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain('\u001b', result.Stdout);
        Assert.DoesNotContain(" \n", result.Stdout, StringComparison.Ordinal); // no cell padding left at line ends in a pipe
        var header = result.Stdout.Split('\n').First(l => l.Contains("agent", StringComparison.Ordinal));
        foreach (var column in new[] { "agent", "id", "app", "version", "state", "pid", "port", "uptime", "restarts", "cpu", "memory" })
            Assert.Contains(column, header, StringComparison.Ordinal);
        var ready = result.Stdout.Split('\n').Single(l => l.Contains("web-v2-a1", StringComparison.Ordinal));
        foreach (var cell in new[] { "host-a", "v2", "ready", "4242", "41001", "12m", "1.5 %", "46.3 MiB" })
            Assert.Contains(cell, ready, StringComparison.Ordinal);
        Assert.Contains("crash_looping (exit code 1)", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("baton: agent host-c did not answer: connection refused\n", result.Stderr);
    }

    [Fact]
    public async Task Status_shows_weights_instances_the_last_deploy_and_its_receipt()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, "status", "web");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain('\u001b', result.Stdout);
        Assert.Contains("app web", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("v2       ████████████████████ 100 %", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("deploy web-7 of web: v1 → v2", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("succeeded (step 3/3)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("v2 400 req, 1 err (0.25 %)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_lists_deploys_with_their_outcome_and_receipts()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, "history", "web");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("rolled back", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("receipt of deploy web-7 of web: v1 → v2", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("receipt of deploy web-6 of web: v1 → v2", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dataplanes_show_acked_versions_per_type_and_the_nack_error()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, "dataplanes");

        Assert.True(result.ExitCode == 0, result.ToString());
        var header = result.Stdout.Split('\n').First(l => l.Contains("node", StringComparison.Ordinal));
        foreach (var column in new[] { "LDS", "RDS", "CDS", "EDS", "status" }) Assert.Contains(column, header, StringComparison.Ordinal);
        Assert.Contains("in sync", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("6 → 7", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("proxy-2 NACKed CDS 7: cluster web-v2: unknown lb_policy", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agents_and_apply_print_what_the_server_answered()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        var spec = Path.Combine(Path.GetTempPath(), $"web-{Guid.NewGuid():n}.yaml");
        await File.WriteAllTextAsync(spec, "name: web\ncommand: node\n");
        try
        {
            var agents = await BatonCli.RunAsync(server, "agents");
            var apply = await BatonCli.RunAsync(server, "apply", "-f", spec, "--dry-run");

            Assert.True(agents.ExitCode == 0, agents.ToString());
            Assert.Contains("zone=eu-1", agents.Stdout, StringComparison.Ordinal);
            Assert.Contains("unreachable", agents.Stdout, StringComparison.Ordinal);
            Assert.True(apply.ExitCode == 0, apply.ToString());
            Assert.Equal("app web: spec is valid; applying it would leave the app updated (dry run, nothing stored)\n", apply.Stdout);
            var request = (Protos.Orchestrator.V1.ApplyAppRequest)server.Service.Calls.Single(c => c.Method == "ApplyApp").Request;
            Assert.True(request.DryRun);
            Assert.Equal("name: web\ncommand: node\n", request.SpecYaml);
            Assert.Equal(Path.GetFileName(spec), request.SourceName);
        }
        finally
        {
            File.Delete(spec);
        }
    }
}
