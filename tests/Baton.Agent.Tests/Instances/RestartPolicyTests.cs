using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.Instances;

public sealed class RestartPolicyTests() : AgentTestBase
{
    [Fact]
    public async Task AFailingAppIsRestartedWithBackoffUntilItIsCrashLooping()
    {
        var spec = AgentProcess.NodeSpec("crashy", "demo", "v1", "--exit", "3");
        spec.Restart = new RestartPolicy { Mode = RestartMode.OnFailure, InitialBackoffMs = 50, MaxBackoffMs = 400, CrashLoopRestarts = 4, CrashLoopWindowMs = 60_000 };
        using var watch = Agent.Client.WatchEvents(new WatchEventsRequest { App = "demo" });
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });

        var looping = await WaitForAsync("crashy", s => s.State == InstanceState.CrashLooping, "crash-looping");

        Assert.Equal(4u, looping.Restarts);
        Assert.Equal(3, looping.LastExit.Code);
        Assert.Contains("crash-looping", looping.Message);
        var events = new List<InstanceEvent>();
        while (await watch.ResponseStream.MoveNext(CancellationToken.None))
        {
            events.Add(watch.ResponseStream.Current);
            if (watch.ResponseStream.Current.Type == EventType.CrashLooping) break;
        }
        Assert.Equal(5, events.Count(e => e.Type == EventType.Starting));
        Assert.Equal(5, events.Count(e => e.Type == EventType.Exited && e.Exit.Code == 3));
        Assert.Equal(4, events.Count(e => e.Type == EventType.Restarting));
        // Backoff doubles: 50, 100, 200, 400 ms between an exit and the next start.
        var gaps = events.Zip(events.Skip(1))
            .Where(p => p.First.Type == EventType.Restarting && p.Second.Type == EventType.Starting)
            .Select(p => (p.Second.Time.ToDateTime() - p.First.Time.ToDateTime()).TotalMilliseconds)
            .ToList();
        Assert.Equal(4, gaps.Count);
        for (var i = 0; i < gaps.Count; i++) Assert.True(gaps[i] >= 50 * Math.Pow(2, i) - 5, $"gap {i} was {gaps[i]} ms");
        Assert.Empty(Agent.InstancePids());
    }

    [Fact]
    public async Task OnFailureDoesNotRestartACleanExit()
    {
        var spec = AgentProcess.NodeSpec("clean", "demo", "v1", "--exit", "0");
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });

        var exited = await WaitForAsync("clean", s => s.State == InstanceState.Exited, "exited");

        Assert.Equal(0, exited.LastExit.Code);
        Assert.Equal(0u, exited.Restarts);
    }

    [Fact]
    public async Task AlwaysRestartsEvenACleanExit()
    {
        var spec = AgentProcess.NodeSpec("always", "demo", "v1", "--exit", "0");
        spec.Restart = new RestartPolicy { Mode = RestartMode.Always, InitialBackoffMs = 20, MaxBackoffMs = 40 };

        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });

        await WaitForAsync("always", s => s.Restarts >= 2, "two restarts");
    }

    [Fact]
    public async Task NeverLeavesACrashedInstanceExited()
    {
        var spec = AgentProcess.NodeSpec("never", "demo", "v1", "--exit", "7");
        spec.Restart = new RestartPolicy { Mode = RestartMode.Never };

        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });

        var exited = await WaitForAsync("never", s => s.State == InstanceState.Exited, "exited");
        Assert.Equal(7, exited.LastExit.Code);
        Assert.Equal(0u, exited.Restarts);
    }

    [Fact]
    public async Task AKilledAppIsRestartedOnAFreshPid()
    {
        var spec = AgentProcess.NodeSpec("victim");
        spec.Restart = new RestartPolicy { InitialBackoffMs = 20 };
        var first = (await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];

        Assert.True(Kill(first.Pid, 9) == 0);

        var after = await WaitForAsync("victim", s => s.Restarts == 1 && s.State == InstanceState.Ready, "restarted and ready");
        Assert.NotEqual(first.Pid, after.Pid);
        Assert.Equal(9, after.LastExit.Signal);
        Assert.Equal(first.Port, after.Port);
    }

    [Fact]
    public async Task StoppingDuringBackoffCancelsTheRestart()
    {
        var spec = AgentProcess.NodeSpec("slowback", "demo", "v1", "--exit", "1");
        spec.Restart = new RestartPolicy { InitialBackoffMs = 60_000, MaxBackoffMs = 60_000 };
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });
        await WaitForAsync("slowback", s => s.State == InstanceState.Backoff, "in backoff");

        var result = (await Agent.Client.StopAsync(new StopRequest { InstanceIds = { "slowback" } })).Results[0];

        Assert.Equal(StopOutcome.NotRunning, result.Outcome);
        var stopped = await WaitForAsync("slowback", s => s.State == InstanceState.Stopped, "stopped");
        Assert.Equal(0u, stopped.Restarts);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
