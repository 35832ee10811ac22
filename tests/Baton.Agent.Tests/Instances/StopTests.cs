using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Tests.Instances;

public sealed class StopTests() : AgentTestBase
{
    private async Task<InstanceStatus> LaunchReadyAsync(InstanceSpec spec)
    {
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });
        var status = await Eventually.MatchAsync(
            async () => (await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances.First(i => i.Spec.InstanceId == spec.InstanceId),
            s => s.State == InstanceState.Ready, "instance ready");
        // The app installs its signal handlers on its first line of output.
        await Eventually.TrueAsync(() => File.Exists(Agent.LogPath(spec.InstanceId)) && File.ReadAllText(Agent.LogPath(spec.InstanceId)).Contains("started pid"), "the app's start line");
        return status;
    }

    [Fact]
    public async Task AnAppThatExitsOnSigtermStopsGracefully()
    {
        var status = await LaunchReadyAsync(AgentProcess.NodeSpec("graceful"));

        var response = await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "graceful" } });

        var result = Assert.Single(response.Results);
        Assert.Equal(StopOutcome.Exited, result.Outcome);
        Assert.Equal(0, result.Exit.Code);
        Assert.False(AgentProcess.IsAlive(status.Pid));
        Assert.Contains("SIGTERM: shutting down", File.ReadAllText(Agent.LogPath("graceful")));
        var listed = Assert.Single((await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances);
        Assert.Equal(InstanceState.Stopped, listed.State);
        Assert.Equal(0, listed.Pid);
    }

    [Fact]
    public async Task AnAppThatIgnoresSigtermIsKilledAfterTheTimeoutWithItsChild()
    {
        var spec = AgentProcess.NodeSpec("stubborn", "demo", "v1", "--ignore-sigterm", "--child");
        spec.Stop = new StopPolicy { TimeoutMs = 1500 };
        var status = await LaunchReadyAsync(spec);
        var childPid = await Eventually.MatchAsync(
            () => Task.FromResult(ChildPid(Agent.LogPath("stubborn"))), pid => pid > 0, "the child's pid line");
        Assert.True(AgentProcess.IsAlive(childPid));

        var response = await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "stubborn" } });

        var result = Assert.Single(response.Results);
        Assert.Equal(StopOutcome.Killed, result.Outcome);
        Assert.Equal(9, result.Exit.Signal);
        Assert.True(result.DurationMs >= 1500, $"killed after {result.DurationMs} ms, before the grace period ended");
        Assert.False(AgentProcess.IsAlive(status.Pid));
        await Eventually.TrueAsync(() => !AgentProcess.IsAlive(childPid), "the child to be gone too", 10);
        Assert.Contains("ignoring SIGTERM", File.ReadAllText(Agent.LogPath("stubborn")));
    }

    [Fact]
    public async Task TheConfiguredStopSignalIsSent()
    {
        var spec = AgentProcess.NodeSpec("interrupt");
        spec.Stop = new StopPolicy { Signal = StopSignal.Sigint };
        await LaunchReadyAsync(spec);

        var result = (await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "interrupt" } })).Results[0];

        Assert.Equal(StopOutcome.Exited, result.Outcome);
        Assert.Contains("SIGINT: shutting down", File.ReadAllText(Agent.LogPath("interrupt")));
    }

    [Fact]
    public async Task StoppingTwiceIsHarmlessAndRemoveForgetsTheInstance()
    {
        await LaunchReadyAsync(AgentProcess.NodeSpec("twice"));
        await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "twice" } });

        var again = (await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "twice" } })).Results[0];
        Assert.Equal(StopOutcome.NotRunning, again.Outcome);

        await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "twice" }, Remove = true });
        Assert.Empty((await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances);
        Assert.False(Directory.Exists(Path.Combine(Agent.DataDir, "instances", "twice")));
    }

    [Fact]
    public async Task StoppingAnUnknownInstanceIsNotFoundAndStopsNothing()
    {
        var status = await LaunchReadyAsync(AgentProcess.NodeSpec("known"));

        var e = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.StopAsync(new StopRequest { InstanceIds = { "known", "ghost" } }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("ghost", e.Status.Detail);
        Assert.True(AgentProcess.IsAlive(status.Pid));
    }

    [Fact]
    public async Task AStoppedInstanceCanBeLaunchedAgain()
    {
        var spec = AgentProcess.NodeSpec("again");
        var first = await LaunchReadyAsync(spec);
        await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "again" } });

        var relaunched = (await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];

        Assert.NotEqual(first.Pid, relaunched.Pid);
        Assert.Equal(first.Port, relaunched.Port);
        Assert.True(AgentProcess.IsAlive(relaunched.Pid));
    }

    [Fact]
    public async Task RestartReplacesTheProcessAndCountsIt()
    {
        var first = await LaunchReadyAsync(AgentProcess.NodeSpec("restart-me"));

        var restarted = Assert.Single((await Agent.Client.RestartAsync(new RestartRequest { InstanceIds = { "restart-me" } })).Instances);

        Assert.NotEqual(first.Pid, restarted.Pid);
        Assert.Equal(1u, restarted.Restarts);
        Assert.False(AgentProcess.IsAlive(first.Pid));
        Assert.True(AgentProcess.IsAlive(restarted.Pid));
    }

    private static int ChildPid(string log)
    {
        if (!File.Exists(log)) return 0;
        var line = File.ReadAllLines(log).FirstOrDefault(l => l.StartsWith("child pid=", StringComparison.Ordinal));
        return line is null ? 0 : int.Parse(line["child pid=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
