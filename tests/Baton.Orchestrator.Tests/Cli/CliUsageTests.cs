using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Tests.Cli;

/// <summary>Argument parsing: malformed command lines end with one line on stderr and exit 2, before any call.</summary>
public sealed class CliUsageTests
{
    [Theory]
    [InlineData(new string[0], "Required command was not provided")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "status" }, "app")]
    [InlineData(new[] { "status", "web", "--bogus" }, "--bogus")]
    [InlineData(new[] { "deploy", "web" }, "deploy needs --version V or --artifact FILE")]
    [InlineData(new[] { "deploy", "web", "--artifact", "/nonexistent/web-v2.tar.gz" }, "/nonexistent/web-v2.tar.gz")]
    [InlineData(new[] { "history", "web", "--limit", "many" }, "many")]
    [InlineData(new[] { "apply" }, "--file")]
    [InlineData(new[] { "agents", "add", "host-a", "10.0.0.5:7070", "--label", "zone" }, "--label 'zone' is not key=value")]
    [InlineData(new[] { "server", "--listen", "0.0.0.0:7000" }, "--listen 0.0.0.0:7000 is not a loopback address: pass --token-file")]
    [InlineData(new[] { "server", "--xds-listen", "10.0.0.1:18000" }, "the xDS server has no authentication yet")]
    [InlineData(new[] { "server", "--listen", "web:7000" }, "is not HOST:PORT")]
    [InlineData(new[] { "status", "web", "--server", "ftp://x" }, "is not a URL")]
    [InlineData(new[] { "status", "web", "--token-file", "/nonexistent/token" }, "cannot read the token file")]
    public async Task A_malformed_command_line_is_one_line_on_stderr_and_exit_2(string[] args, string expected)
    {
        var result = await BatonCli.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("baton", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Help_lists_every_command_and_exits_0()
    {
        var result = await BatonCli.RunAsync(["--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var command in new[] { "server", "apply", "plan", "deploy", "status", "history", "promote", "pause", "resume", "abort", "rollback", "ps", "logs", "agents", "dataplanes" })
            Assert.Contains($"  {command}", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arguments_and_options_reach_the_server_as_the_request()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var add = await BatonCli.RunAsync(server, "agents", "add", "host-a", "10.0.0.5:7070", "--label", "zone=eu-1", "-l", "tier=web=blue");
        var history = await BatonCli.RunAsync(server, "history", "web", "--limit", "3");
        var plan = await BatonCli.RunAsync(server, "plan", "web", "--version", "v3");
        var logs = await BatonCli.RunAsync(server, "logs", "web", "--tail", "20");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("agent host-a at 10.0.0.5:7070 added (reachable)\n", add.Stdout);
        var addRequest = (AddAgentRequest)server.Service.Calls.Single(c => c.Method == "AddAgent").Request;
        Assert.Equal("host-a", addRequest.Name);
        Assert.Equal("10.0.0.5:7070", addRequest.Address);
        Assert.Equal("eu-1", addRequest.Labels["zone"]);
        Assert.Equal("web=blue", addRequest.Labels["tier"]);

        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Equal(3u, ((ListDeploysRequest)server.Service.Calls.Single(c => c.Method == "ListDeploys").Request).Limit);

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Equal("v3", ((DeployRequest)server.Service.Calls.Single(c => c.Method == "PlanDeploy").Request).Version);
        Assert.Contains("plan for web: v1 → v3", plan.Stdout, StringComparison.Ordinal);
        Assert.Contains("25 % (30 s) → 50 % (wait for resume) → 100 %", plan.Stdout, StringComparison.Ordinal);

        Assert.True(logs.ExitCode == 0, logs.ToString());
        var logsRequest = (StreamLogsRequest)server.Service.Calls.Single(c => c.Method == "StreamLogs").Request;
        Assert.Equal(20u, logsRequest.TailLines);
        Assert.False(logsRequest.Follow);
        Assert.Equal("web-v2-a1 | listening on 41001\n", logs.Stdout);
        Assert.Equal("web-v2-b1 | warning: cache cold\n", logs.Stderr);
    }

    [Theory]
    [InlineData("promote", "Promote")]
    [InlineData("pause", "Pause")]
    [InlineData("resume", "Resume")]
    [InlineData("abort", "Abort")]
    [InlineData("rollback", "Rollback")]
    public async Task Each_deploy_action_calls_its_rpc_for_the_app(string command, string method)
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, command, "web");

        Assert.True(result.ExitCode == 0, result.ToString());
        var call = Assert.Single(server.Service.Calls);
        Assert.Equal(method, call.Method);
        Assert.Equal("web", ((DeployActionRequest)call.Request).App);
        Assert.StartsWith("deploy web-7 of web: v1 → v2: shifting", result.Stdout, StringComparison.Ordinal);
    }
}
