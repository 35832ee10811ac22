using System.Security.Cryptography;
using Baton.Orchestrator.Store;
using Grpc.Core;

namespace Baton.Orchestrator.Tests.Store;

/// <summary>Apps, agents and artifacts: create, read, update, delete, and what survives a reopen.</summary>
public sealed class StoreRecordsTests
{
    [Fact]
    public async Task Apps_are_created_updated_and_left_unchanged_by_generation()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        var store = fixture.Store;

        var created = await store.PutAppAsync(StoreFixture.Spec(), "name: web");
        Assert.Equal(AppWriteOutcome.Created, created.Outcome);
        Assert.Equal(1ul, created.App.Generation);

        var same = await store.PutAppAsync(StoreFixture.Spec(), "name: web # again");
        Assert.Equal(AppWriteOutcome.Unchanged, same.Outcome);
        Assert.Equal("name: web", same.App.Source);

        var updated = await store.PutAppAsync(StoreFixture.Spec(command: "bun"), "name: web\ncommand: bun");
        Assert.Equal(AppWriteOutcome.Updated, updated.Outcome);
        Assert.Equal(2ul, updated.App.Generation);

        await store.PutAppAsync(StoreFixture.Spec("api"), "name: api");
        Assert.Equal(["api", "web"], (await store.ListAppsAsync()).Select(a => a.Spec.Name));

        await fixture.ReopenAsync();
        var stored = await fixture.Store.GetAppAsync("web");
        Assert.NotNull(stored);
        Assert.Equal(StoreFixture.Spec(command: "bun"), stored.Spec);
        Assert.Equal("name: web\ncommand: bun", stored.Source);
        Assert.Equal(2ul, stored.Generation);

        Assert.True(await fixture.Store.DeleteAppAsync("web"));
        Assert.False(await fixture.Store.DeleteAppAsync("web"));
        Assert.Null(await fixture.Store.GetAppAsync("web"));
    }

    [Fact]
    public async Task Agents_are_added_idempotently_and_conflicts_are_refused()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        var labels = new Dictionary<string, string> { ["zone"] = "eu-1" };

        var added = await fixture.Store.AddAgentAsync(new AgentRecord("a1", "10.0.0.1:7070", labels, default));
        Assert.NotEqual(default, added.AddedAt);
        var again = await fixture.Store.AddAgentAsync(new AgentRecord("a1", "10.0.0.1:7070", labels, default));
        Assert.Equal(added.AddedAt, again.AddedAt);

        var conflict = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.AddAgentAsync(new AgentRecord("a1", "10.0.0.2:7070", labels, default)));
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Equal("agent a1 already exists with address 10.0.0.1:7070; remove it first to change it", conflict.Status.Detail);

        await fixture.Store.AddAgentAsync(new AgentRecord("a0", "10.0.0.3:7070", new Dictionary<string, string>(), default));
        await fixture.ReopenAsync();
        var agents = await fixture.Store.ListAgentsAsync();
        Assert.Equal(["a0", "a1"], agents.Select(a => a.Name));
        Assert.Equal("eu-1", agents[1].Labels["zone"]);
        Assert.True(agents[1].SameAs(added));

        Assert.True(await fixture.Store.RemoveAgentAsync("a1"));
        Assert.False(await fixture.Store.RemoveAgentAsync("a1"));
        Assert.Null(await fixture.Store.GetAgentAsync("a1"));
    }

    [Fact]
    public async Task Artifacts_are_files_in_the_data_dir_with_metadata_in_the_database()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        await fixture.Store.PutAppAsync(StoreFixture.Spec(), "");
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var saved = await fixture.Store.SaveArtifactAsync("web", "v1", new MemoryStream(bytes), sha);
        Assert.False(saved.AlreadyPresent);
        Assert.Equal(Path.Combine(fixture.DataDir, "artifacts", "web", "v1.tar.gz"), saved.Artifact.Path);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(saved.Artifact.Path));
        Assert.Equal(sha, saved.Artifact.Sha256);
        Assert.Equal(bytes.Length, saved.Artifact.Size);

        var again = await fixture.Store.SaveArtifactAsync("web", "v1", new MemoryStream(bytes), null);
        Assert.True(again.AlreadyPresent);

        var other = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.SaveArtifactAsync("web", "v1", new MemoryStream([1, 2, 3]), null));
        Assert.Equal(StatusCode.AlreadyExists, other.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(saved.Artifact.Path));

        var damaged = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.SaveArtifactAsync("web", "v2", new MemoryStream(bytes), new string('0', 64)));
        Assert.Equal(StatusCode.InvalidArgument, damaged.StatusCode);
        Assert.Null(await fixture.Store.GetArtifactAsync("web", "v2"));
        Assert.False(File.Exists(Path.Combine(fixture.DataDir, "artifacts", "web", "v2.tar.gz")));

        var unknown = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.SaveArtifactAsync("api", "v1", new MemoryStream(bytes), null));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        // Only final files remain: every temporary file was renamed or removed.
        Assert.Equal(["v1.tar.gz"], Directory.GetFiles(Path.Combine(fixture.DataDir, "artifacts", "web")).Select(Path.GetFileName));

        await fixture.ReopenAsync();
        Assert.Equal(saved.Artifact, Assert.Single(await fixture.Store.ListArtifactsAsync("web")));
        Assert.True(await fixture.Store.DeleteArtifactAsync("web", "v1"));
        Assert.False(File.Exists(saved.Artifact.Path));
        Assert.Empty(await fixture.Store.ListArtifactsAsync("web"));
    }

    [Fact]
    public async Task Leftover_temporary_files_are_removed_at_open()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        var folder = Path.Combine(fixture.DataDir, "artifacts", "web");
        Directory.CreateDirectory(folder);
        var leftover = Path.Combine(folder, ".v9.0123.tmp");
        await File.WriteAllTextAsync(leftover, "half an upload");

        await fixture.ReopenAsync();

        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public async Task Deleting_an_app_takes_its_artifacts_files_and_desired_state_along()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        await fixture.Store.PutAppAsync(StoreFixture.Spec(), "");
        var artifact = (await fixture.Store.SaveArtifactAsync("web", "v1", new MemoryStream([1, 2, 3]), null)).Artifact;
        await fixture.Store.SaveDesiredStateAsync(DesiredState.Create("web", 0, null, [StoreFixture.Release("v1", 100, "web", "web-v1-0")]));

        Assert.True(await fixture.Store.DeleteAppAsync("web"));

        Assert.False(File.Exists(artifact.Path));
        Assert.Null(await fixture.Store.GetDesiredStateAsync("web"));
        Assert.Empty(await fixture.Store.ListArtifactsAsync("web"));
    }
}
