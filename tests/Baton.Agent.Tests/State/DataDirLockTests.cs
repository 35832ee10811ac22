using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.State;

/// <summary>
/// One agent per data dir: a second agent on other ports but the same data dir ends with one line and
/// exit 75 without touching the first one's instances, and the lock dies with its holder, so an agent
/// started after a SIGKILL takes the data dir over at once.
/// </summary>
public sealed class DataDirLockTests : IAsyncLifetime
{
    private AgentProcess _agent = null!;

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync();
        await _agent.InstallTestReleaseAsync();
    }

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    private async Task<IList<InstanceStatus>> ListAsync() => (await _agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances;

    private async Task<InstanceStatus> LaunchReadyAsync(string id)
    {
        await _agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec(id) } });
        var ready = await Eventually.MatchAsync(ListAsync, l => l.Any(i => i.Spec.InstanceId == id && i.State == InstanceState.Ready), $"{id} ready");
        return ready.Single(i => i.Spec.InstanceId == id);
    }

    [Fact]
    public async Task A_second_agent_on_the_same_data_dir_is_one_line_on_stderr_and_exit_75_and_leaves_the_first_ones_instances_alone()
    {
        var before = await LaunchReadyAsync("web-1");
        var stateBefore = await File.ReadAllTextAsync(Path.Combine(_agent.DataDir, "state.json"));

        // Other ports (below the ephemeral range, so no outgoing connection takes them meanwhile), the
        // same data dir and instance port range: without the lock this agent would run recovery on
        // web-1 as if it had been left by a dead agent.
        var second = await ExitingAgent.RunAsync(
            "--data-dir", _agent.DataDir,
            "--listen", $"127.0.0.1:{LoopbackPorts.BelowEphemeral()}",
            "--metrics-listen", "off",
            "--port-range", $"{_agent.PortRangeStart}-{_agent.PortRangeEnd}");

        Assert.True(second.ExitCode == 75, second.ToString());
        Assert.Equal($"baton-agent: the data dir {_agent.DataDir} is in use by another baton-agent (pid {_agent.Pid})\n", second.Stderr);
        Assert.Equal("", second.Stdout);
        // The first agent's instance runs on, unadopted, unrestarted, and the first agent still serves it.
        Assert.True(AgentProcess.IsAlive(before.Pid), $"web-1 (pid {before.Pid}) died");
        var after = (await ListAsync()).Single();
        Assert.Equal(before.Pid, after.Pid);
        Assert.Equal(InstanceState.Ready, after.State);
        Assert.Equal(0u, after.Restarts);
        Assert.False(after.Adopted);
        Assert.Equal(stateBefore, await File.ReadAllTextAsync(Path.Combine(_agent.DataDir, "state.json")));
        Assert.Equal([before.Pid], _agent.InstancePids());
    }

    [Fact]
    public async Task After_a_sigkill_a_new_agent_takes_the_data_dir_over_at_once()
    {
        // A running instance outlives the agent on purpose: it must not have inherited the lock.
        var before = await LaunchReadyAsync("web-1");

        _agent.Kill();
        await _agent.RestartAsync();

        var adopted = (await ListAsync()).Single();
        Assert.Equal(before.Pid, adopted.Pid);
        Assert.True(adopted.Adopted);
        // The holder's pid in the lock file is there for a person to read; the new agent wrote its own.
        Assert.Equal($"{_agent.Pid}\n", await ReadLockFileAsync());
    }

    // Read without .NET's FileStream, which would take flock(LOCK_SH) and be refused by the agent's lock.
    private async Task<string> ReadLockFileAsync()
    {
        using var cat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cat", Path.Combine(_agent.DataDir, "lock")) { RedirectStandardOutput = true })!;
        var text = await cat.StandardOutput.ReadToEndAsync();
        await cat.WaitForExitAsync();
        return text;
    }
}
