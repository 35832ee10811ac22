using System.Diagnostics;
using System.Text.Json.Nodes;
using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.Instances;

/// <summary>The agent SIGKILLed and started again: its instances live on and are taken over.</summary>
public sealed class AdoptionTests : IAsyncLifetime
{
    private AgentProcess _agent = null!;
    private readonly List<Process> _strays = [];

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync();
        await _agent.InstallTestReleaseAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _strays)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.Dispose();
        }
        await _agent.DisposeAsync();
    }

    private async Task<IList<InstanceStatus>> ListAsync() => (await _agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances;

    [Fact]
    public async Task TwentyInstancesSurviveAnAgentSigkillAndAreReadoptedWithoutDuplicatesOrLostLines()
    {
        var request = new LaunchRequest();
        request.Instances.AddRange(Enumerable.Range(0, 20).Select(i => AgentProcess.NodeSpec($"web-{i}", "demo", "v1", "--log-every", "20")));
        await _agent.Client.LaunchAsync(request);
        var before = await Eventually.MatchAsync(ListAsync, l => l.All(i => i.State == InstanceState.Ready), "20 ready");
        var pids = before.ToDictionary(i => i.Spec.InstanceId, i => i.Pid);

        _agent.Kill();
        await Task.Delay(700); // the apps keep writing while no agent reads their pipes
        Assert.All(pids.Values, pid => Assert.True(AgentProcess.IsAlive(pid), $"pid {pid} died with the agent"));
        await _agent.RestartAsync();

        var after = await ListAsync();
        Assert.Equal(20, after.Count);
        Assert.All(after, i =>
        {
            Assert.Equal(pids[i.Spec.InstanceId], i.Pid);
            Assert.True(i.Adopted);
            Assert.Equal(InstanceState.Ready, i.State);
            Assert.Equal(0u, i.Restarts);
        });
        Assert.Equal(pids.Values.Order(), _agent.InstancePids().Order());

        // Every line the apps wrote, before, during and after the agent's absence, is in the log once and in order.
        var sample = "web-7";
        var linesBefore = NumberedLines(_agent.LogPath(sample)).Count;
        await Eventually.TrueAsync(() => NumberedLines(_agent.LogPath(sample)).Count > linesBefore + 20, "logging to continue");
        var numbers = NumberedLines(_agent.LogPath(sample));
        Assert.Equal(Enumerable.Range(1, numbers.Count), numbers);

        // The adopted instances are fully managed: a stop still works on a process that is not our child.
        var stop = await _agent.Client.StopAsync(new StopRequest { InstanceIds = { sample } });
        Assert.Equal(StopOutcome.Exited, stop.Results[0].Outcome);
        Assert.False(AgentProcess.IsAlive(pids[sample]));
    }

    [Fact]
    public async Task AnInstanceThatDiedWhileTheAgentWasDownIsRestarted()
    {
        var spec = AgentProcess.NodeSpec("lonely");
        spec.Restart = new RestartPolicy { InitialBackoffMs = 20 };
        var first = (await _agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];
        await Eventually.MatchAsync(ListAsync, l => l[0].State == InstanceState.Ready, "ready");

        _agent.Kill();
        Process.GetProcessById(first.Pid).Kill();
        await Eventually.TrueAsync(() => !AgentProcess.IsAlive(first.Pid), "the app to die");
        await _agent.RestartAsync();

        var restarted = await Eventually.MatchAsync(ListAsync, l => l[0].State == InstanceState.Ready && l[0].Pid != 0, "restarted");
        Assert.NotEqual(first.Pid, restarted[0].Pid);
        Assert.Equal(1u, restarted[0].Restarts);
        Assert.Single(_agent.InstancePids());
    }

    [Fact]
    public async Task AReusedPidIsNeverAdopted()
    {
        var spec = AgentProcess.NodeSpec("reused");
        spec.Restart = new RestartPolicy { InitialBackoffMs = 20 };
        var first = (await _agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];
        await Eventually.MatchAsync(ListAsync, l => l[0].State == InstanceState.Ready, "ready");
        _agent.Kill();
        Process.GetProcessById(first.Pid).Kill();

        // Another process now holds a pid the state file names: same pid, different start time.
        var impostor = Stray("/usr/bin/setsid", "sleep", "120");
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(_agent.DataDir, "state.json")))!;
        state["instances"]![0]!["pid"] = impostor.Id;
        File.WriteAllText(Path.Combine(_agent.DataDir, "state.json"), state.ToJsonString());
        await _agent.RestartAsync();

        var after = await Eventually.MatchAsync(ListAsync, l => l[0].State == InstanceState.Ready && l[0].Pid != 0, "restarted");
        Assert.NotEqual(impostor.Id, after[0].Pid);
        Assert.False(after[0].Adopted);
        Assert.False(impostor.HasExited, "the agent touched a process that was not its own");
    }

    [Fact]
    public async Task AMarkedProcessTheStateFileDoesNotKnowIsKilledAtStartup()
    {
        _agent.Kill();
        // What a crash between spawn and state write leaves: a process carrying this agent's mark.
        var orphan = Stray("/usr/bin/setsid", "sleep", "120", env: new()
        {
            ["BATON_AGENT_DATA_DIR"] = _agent.DataDir,
            ["BATON_INSTANCE_ID"] = "never-recorded",
        });
        await Eventually.TrueAsync(() => _agent.InstancePids().Contains(orphan.Id), "the orphan to run");

        await _agent.RestartAsync();

        await Eventually.TrueAsync(() => orphan.HasExited, "the orphan to be killed");
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task AnUnreadableStateFileIsSetAsideAndTheAgentStartsEmpty()
    {
        _agent.Kill();
        var stateFile = Path.Combine(_agent.DataDir, "state.json");
        await File.WriteAllTextAsync(stateFile, "{ \"instances\": [ { \"spec_base64\": ");

        await _agent.RestartAsync();

        Assert.Empty(await ListAsync());
        Assert.Single(Directory.GetFiles(_agent.DataDir, "state.json.unreadable-*"));
        Assert.Contains("unreadable", _agent.Output.ToString());
    }

    private Process Stray(string file, string arg0, string arg1, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        psi.ArgumentList.Add(arg0);
        psi.ArgumentList.Add(arg1);
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        _strays.Add(p);
        return p;
    }

    private static List<int> NumberedLines(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.StartsWith("line ", StringComparison.Ordinal)).Select(l => int.Parse(l[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList()
            : [];
}
