using Baton.Orchestrator.Tests.Fleet.Support;
using Baton.Protos.Agent.V1;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Tests.Fleet;

/// <summary>The calls the deploy engine makes, against two real agents.</summary>
public sealed class AgentOperationsTests : IAsyncLifetime
{
    private RealAgent _first = null!;
    private RealAgent _second = null!;
    private FleetUnderTest _fleet = null!;
    private string _artifactPath = null!;

    public async Task InitializeAsync()
    {
        _first = await RealAgent.StartAsync();
        _second = await RealAgent.StartAsync();
        _fleet = await FleetUnderTest.StartAsync();
        await _fleet.AddAsync("a1", _first.Address, new Dictionary<string, string> { ["zone"] = "one" });
        await _fleet.AddAsync("a2", _second.Address, new Dictionary<string, string> { ["zone"] = "two" });
        await _fleet.WaitForHealthAsync("a1", AgentHealth.Reachable);
        await _fleet.WaitForHealthAsync("a2", AgentHealth.Reachable);
        _artifactPath = Path.Combine(_first.DataDir, "..", $"artifact-{Guid.NewGuid():n}.tar.gz");
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        File.Delete(_artifactPath);
    }

    private string WriteArtifact(int paddingBytes) => TestArtifact.Write(_artifactPath, paddingBytes);

    [Fact]
    public async Task EnsureReleaseUploadsOnceAndIsIdempotent()
    {
        var sha = WriteArtifact(paddingBytes: 900 * 1024);
        Assert.True(new FileInfo(_artifactPath).Length > 3 * 256 * 1024);

        var first = await _fleet.Operations.EnsureReleaseAsync("a1", "web", "v1", _artifactPath, sha);
        Assert.True(first.Uploaded);
        Assert.Equal(sha, first.Release.Sha256);
        Assert.Equal((ulong)new FileInfo(_artifactPath).Length, first.Release.Size);

        var again = await _fleet.Operations.EnsureReleaseAsync("a1", "web", "v1", _artifactPath, sha.ToUpperInvariant());
        Assert.False(again.Uploaded);
        var release = Assert.Single((await _first.DirectClient.ListReleasesAsync(new ListReleasesRequest { App = "web" })).Releases);
        Assert.Equal("v1", release.Version);
        Assert.Empty((await _second.DirectClient.ListReleasesAsync(new ListReleasesRequest())).Releases);

        // The same version with other content is refused, never silently replaced.
        var otherSha = WriteArtifact(paddingBytes: 1024);
        var conflict = await Assert.ThrowsAsync<RpcException>(() => _fleet.Operations.EnsureReleaseAsync("a1", "web", "v1", _artifactPath, otherSha));
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Contains("a1", conflict.Status.Detail);

        // A digest that does not match the bytes is the agent's InvalidArgument, named after the agent.
        var wrong = await Assert.ThrowsAsync<RpcException>(() => _fleet.Operations.EnsureReleaseAsync("a2", "web", "v1", _artifactPath, sha));
        Assert.Contains("a2", wrong.Status.Detail);
        Assert.NotEqual(StatusCode.OK, wrong.StatusCode);

        var badDigest = await Assert.ThrowsAsync<RpcException>(() => _fleet.Operations.EnsureReleaseAsync("a1", "web", "v2", _artifactPath, "abc"));
        Assert.Equal(StatusCode.InvalidArgument, badDigest.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(() => _fleet.Operations.EnsureReleaseAsync("a1", "web", "v2", _artifactPath + ".gone", sha));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task LaunchAndStopThroughTheFleetAreIdempotent()
    {
        var sha = WriteArtifact(paddingBytes: 1024);
        await _fleet.Operations.EnsureReleaseAsync("a1", "web", "v1", _artifactPath, sha);
        var spec = RealAgent.NodeSpec("web-1", "web", "v1");

        var launched = Assert.Single(await _fleet.Operations.LaunchAsync("a1", [spec]));
        var relaunched = Assert.Single(await _fleet.Operations.LaunchAsync("a1", [spec]));
        Assert.Equal(launched.Pid, relaunched.Pid);
        var listed = Assert.Single(await _fleet.Operations.ListInstancesAsync("a1", "web"));
        Assert.Equal("web-1", listed.Spec.InstanceId);

        var stopped = Assert.Single(await _fleet.Operations.StopAsync("a1", ["web-1"], remove: true));
        Assert.Equal(StopOutcome.Exited, stopped.Outcome);
        Assert.Empty(await _fleet.Operations.ListInstancesAsync("a1"));
        Assert.Equal(StopOutcome.NotRunning, Assert.Single(await _fleet.Operations.StopAsync("a1", ["web-1"], remove: true)).Outcome);
    }

    [Fact]
    public async Task ListAllInstancesMergesAgentsAndReportsADeadOneInsteadOfFailing()
    {
        await _first.UploadTestReleaseAsync("web", "v1");
        await _second.UploadTestReleaseAsync("web", "v1");
        await _second.UploadTestReleaseAsync("other", "v1");
        await _fleet.Operations.LaunchAsync("a1", [RealAgent.NodeSpec("web-a1-1", "web", "v1")]);
        await _fleet.Operations.LaunchAsync("a2", [RealAgent.NodeSpec("web-a2-1", "web", "v1"), RealAgent.NodeSpec("other-a2-1", "other", "v1")]);

        var all = await _fleet.Operations.ListAllInstancesAsync();
        Assert.Empty(all.Unreachable);
        Assert.Equal(["a1/web-a1-1", "a2/other-a2-1", "a2/web-a2-1"], all.Instances.Select(i => $"{i.Agent}/{i.InstanceId}").Order());

        var web = await Eventually.MatchAsync(() => _fleet.Operations.ListAllInstancesAsync("web"),
            r => r.Instances.Count == 2 && r.Instances.All(i => i.State == "ready"), "both web instances ready");
        var onSecond = web.Instances.Single(i => i.Agent == "a2");
        Assert.Equal(("web", "v1"), (onSecond.App, onSecond.Version));
        Assert.True(onSecond.Pid > 0);
        Assert.InRange((int)onSecond.Port, _second.PortRange.Start, _second.PortRange.End);

        _second.Kill();
        var partial = await _fleet.Operations.ListAllInstancesAsync("web");
        Assert.Equal("a1", Assert.Single(partial.Instances).Agent);
        var why = Assert.Single(partial.Unreachable);
        Assert.Equal("a2", why.Key);
        Assert.Contains(_second.Address, why.Value);
        Assert.Contains("unreachable", why.Value);

        // A single-agent call to the dead agent is Unavailable, naming it and its address.
        var error = await Assert.ThrowsAsync<RpcException>(() => _fleet.Operations.ListInstancesAsync("a2"));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("\"a2\"", error.Status.Detail);
        Assert.Contains(_second.Address, error.Status.Detail);
    }

    [Fact]
    public async Task StreamLogsMergesEveryInstanceOfTheAppAcrossAgents()
    {
        await _first.UploadTestReleaseAsync("web", "v1");
        await _second.UploadTestReleaseAsync("web", "v1");
        await _second.UploadTestReleaseAsync("api", "v1");
        await _fleet.Operations.LaunchAsync("a1", [RealAgent.NodeSpec("web-a1-1", "web", "v1", "--stderr", "complaint from a1")]);
        await _fleet.Operations.LaunchAsync("a2", [RealAgent.NodeSpec("web-a2-1", "web", "v1", "--log-every", "20")]);
        await _fleet.Operations.LaunchAsync("a2", [RealAgent.NodeSpec("api-a2-1", "api", "v1")]);

        // Each instance's first line is written once it runs; read the history until both are there.
        var history = await Eventually.MatchAsync(
            async () => await _fleet.Logs.StreamLogsAsync("web", follow: false, tailLines: 1000).ToListAsync(),
            lines => lines.Any(l => l.Agent == "a1" && l.Text.StartsWith("started pid=")) && lines.Any(l => l.Agent == "a2" && l.Text == "line 3"),
            "first lines of both web instances");
        Assert.All(history, l => Assert.Contains(l.InstanceId, new[] { "web-a1-1", "web-a2-1" }));
        var complaint = Assert.Single(history, l => l.Text == "complaint from a1");
        Assert.Equal(("a1", "web-a1-1", "stderr"), (complaint.Agent, complaint.InstanceId, complaint.Stream));
        Assert.All(history.Where(l => l.InstanceId == "web-a2-1"), l => Assert.Equal("stdout", l.Stream));
        var numbered = history.Where(l => l.Text.StartsWith("line ")).Select(l => int.Parse(l.Text[5..])).ToList();
        Assert.Equal(Enumerable.Range(1, numbered.Count), numbered);

        // Following shows new lines as they are written, and leaving the loop ends every agent call.
        using var leave = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var followed = new List<LogLine>();
        await foreach (var line in _fleet.Logs.StreamLogsAsync("web", follow: true, tailLines: 1, leave.Token))
        {
            followed.Add(line);
            if (followed.Count(l => l.Text.StartsWith("line ")) >= 5) break;
        }
        var followedNumbers = followed.Where(l => l.Text.StartsWith("line ")).Select(l => int.Parse(l.Text[5..])).ToList();
        Assert.True(followedNumbers[0] >= numbered[^1], $"following starts at the end: {followedNumbers[0]} after {numbered[^1]}");
        Assert.Equal(Enumerable.Range(followedNumbers[0], followedNumbers.Count), followedNumbers);
    }
}
