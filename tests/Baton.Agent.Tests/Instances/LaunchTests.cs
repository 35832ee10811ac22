using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Tests.Instances;

public sealed class LaunchTests() : AgentTestBase(portCount: 150)
{
    [Fact]
    public async Task LaunchedInstanceRunsOnItsPortWithItsIdentityInTheEnvironment()
    {
        var response = await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec("web-1") } });

        var status = Assert.Single(response.Instances);
        Assert.True(status.Pid > 0);
        Assert.InRange((int)status.Port, Agent.PortRangeStart, Agent.PortRangeEnd);
        var ready = await WaitForAsync("web-1", s => s.State == InstanceState.Ready, "ready");
        Assert.Equal(status.Pid, ready.Pid);

        using var http = new HttpClient();
        var body = await Eventually.MatchAsync(async () =>
        {
            try { return await http.GetStringAsync($"http://127.0.0.1:{status.Port}/"); }
            catch (HttpRequestException) { return ""; }
        }, b => b.Length > 0, "the app to answer");
        Assert.Equal("v1 web-1\n", body);
        Assert.True(ready.RssBytes > 0);
        Assert.True(ready.UptimeSeconds >= 0);
    }

    [Fact]
    public async Task RepeatedLaunchWithTheSameSpecDoesNotStartASecondCopy()
    {
        var spec = AgentProcess.NodeSpec("web-1");
        var first = await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });
        var second = await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });

        Assert.Equal(first.Instances[0].Pid, second.Instances[0].Pid);
        Assert.Equal(first.Instances[0].Port, second.Instances[0].Port);
        Assert.Single(Agent.InstancePids());
    }

    [Fact]
    public async Task SameIdWithADifferentSpecIsRefusedAndChangesNothing()
    {
        var first = await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec("web-1") } });
        var changed = AgentProcess.NodeSpec("web-1", "demo", "v1", "--log-every", "100");

        var e = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { changed } }).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Contains("web-1", e.Status.Detail);
        var list = await Agent.Client.ListInstancesAsync(new ListInstancesRequest());
        Assert.Equal(first.Instances[0].Pid, Assert.Single(list.Instances).Pid);
    }

    [Fact]
    public async Task HundredConcurrentLaunchesGetDistinctProcessesAndPorts()
    {
        var calls = Enumerable.Range(0, 100)
            .Select(i => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec($"c-{i}") } }).ResponseAsync)
            .ToList();
        var responses = await Task.WhenAll(calls);

        var statuses = responses.Select(r => Assert.Single(r.Instances)).ToList();
        Assert.Equal(100, statuses.Select(s => s.Pid).Distinct().Count());
        Assert.Equal(100, statuses.Select(s => s.Port).Distinct().Count());
        await Eventually.MatchAsync(
            async () => (await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances,
            list => list.Count == 100 && list.All(i => i.State == InstanceState.Ready),
            "all 100 instances ready", timeoutSeconds: 120);
        Assert.Equal(100, Agent.InstancePids().Count);
    }

    public static TheoryData<string, string, string, StatusCode, string> BadSpecs => new()
    {
        { "Web", "demo", "v1", StatusCode.InvalidArgument, "instance_id \"Web\" is not a valid name" },
        { "w", "../etc", "v1", StatusCode.InvalidArgument, "app \"../etc\" is not a valid name" },
        { "w", "demo", "v1/../../x", StatusCode.InvalidArgument, "version" },
        { "w", "demo", new string('v', 64), StatusCode.InvalidArgument, "version" },
        { "w", "demo", "v9", StatusCode.FailedPrecondition, "release demo/v9 is not on this agent" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task InvalidNamesAndMissingReleasesAreRefused(string id, string app, string version, StatusCode code, string message)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec(id, app, version) } }).ResponseAsync);
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(message, e.Status.Detail);
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task UnknownExecutableIsRefusedBeforeAnythingStarts()
    {
        var good = AgentProcess.NodeSpec("good");
        var bad = AgentProcess.NodeSpec("bad");
        bad.Command = "no-such-program-anywhere";

        var e = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { good, bad } }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("instance bad: executable \"no-such-program-anywhere\" not found on PATH", e.Status.Detail);
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task CommandOrWorkingDirEscapingTheReleaseIsRefused()
    {
        var escape = AgentProcess.NodeSpec("w");
        escape.Command = "../../../../bin/true";
        var e1 = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { escape } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e1.StatusCode);
        Assert.Contains("outside the release folder", e1.Status.Detail);

        var missingDir = AgentProcess.NodeSpec("w");
        missingDir.WorkingDir = "nope";
        var e2 = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { missingDir } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e2.StatusCode);
        Assert.Contains("working_dir \"nope\" does not exist", e2.Status.Detail);

        var reserved = AgentProcess.NodeSpec("w");
        reserved.Env["PORT"] = "1";
        var e3 = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { reserved } }).ResponseAsync);
        Assert.Contains("env PORT is set by the agent", e3.Status.Detail);
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task ExhaustedPortRangeRefusesTheWholeLaunch()
    {
        var specs = Enumerable.Range(0, Agent.PortRangeEnd - Agent.PortRangeStart + 2).Select(i => AgentProcess.NodeSpec($"p-{i}"));
        var request = new LaunchRequest();
        request.Instances.AddRange(specs);

        var e = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("exhausted", e.Status.Detail);
        await AssertNothingLeftAsync();
        // The ports were given back: a normal launch still works.
        await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { AgentProcess.NodeSpec("after") } });
    }

    [Fact]
    public async Task EnvironmentFromTheSpecReachesTheProcess()
    {
        var spec = new InstanceSpec { InstanceId = "env-1", App = "demo", Version = "v1", Command = "node" };
        spec.Args.AddRange(["-e", "console.log('GREETING=' + process.env.GREETING + ' PORT=' + process.env.PORT); setInterval(() => {}, 1000)"]);
        spec.Env["GREETING"] = "hello world";
        var status = (await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];

        await Eventually.TrueAsync(() => File.Exists(Agent.LogPath("env-1")) && File.ReadAllText(Agent.LogPath("env-1")).Contains("GREETING"), "the app's output");
        Assert.Contains($"GREETING=hello world PORT={status.Port}", File.ReadAllText(Agent.LogPath("env-1")));
    }

    [Fact]
    public async Task RunAsUserDropsPrivilegesBeforeTheAppStarts()
    {
        var spec = AgentProcess.NodeSpec("as-nobody");
        spec.RunAsUser = "nobody";
        if (Environment.UserName != "root")
        {
            // Only root may switch users: an unprivileged agent must say so instead of trying.
            var refused = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } }).ResponseAsync);
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            return;
        }

        var status = (await Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } })).Instances[0];
        await WaitForAsync("as-nobody", s => s.State == InstanceState.Ready, "ready");

        var uidLine = File.ReadAllLines($"/proc/{status.Pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.Equal("65534", uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
        await Eventually.TrueAsync(() => File.Exists(Agent.LogPath("as-nobody")) && File.ReadAllText(Agent.LogPath("as-nobody")).Contains("started pid"), "its output in the log");
    }

    [Fact]
    public async Task AnUnknownRunAsUserIsRefused()
    {
        var spec = AgentProcess.NodeSpec("as-ghost");
        spec.RunAsUser = "no-such-user-here";

        var e = await Assert.ThrowsAsync<RpcException>(() => Agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("run_as_user \"no-such-user-here\" does not exist", e.Status.Detail);
        await AssertNothingLeftAsync();
    }

    private async Task AssertNothingLeftAsync()
    {
        var list = await Agent.Client.ListInstancesAsync(new ListInstancesRequest());
        Assert.Empty(list.Instances);
        Assert.Empty(Agent.InstancePids());
    }
}
