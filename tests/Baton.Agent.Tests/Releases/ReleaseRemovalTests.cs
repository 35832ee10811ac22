using Grpc.Core;

namespace Baton.Agent.Tests.Releases;

public class ReleaseRemovalTests : ReleaseStoreTestBase
{
    [Fact]
    public async Task RemovesFolderAndMetadata()
    {
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple()), CancellationToken.None);

        store.Remove("web", "v1");

        Assert.Null(store.Find("web", "v1"));
        Assert.Empty(store.List(null));
        AssertNothingStored(); // the app folder goes with its last release
    }

    [Fact]
    public async Task KeepsTheAppsOtherReleases()
    {
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple("a")), CancellationToken.None);
        await store.ReceiveAsync(Uploads.Of("web", "v2", ArtifactBuilder.Simple("b")), CancellationToken.None);

        store.Remove("web", "v1");

        Assert.Equal(["v2"], store.List("web").Select(r => r.Version));
        Assert.False(Directory.Exists(Path.Combine(ReleasesDir, "web", "v1")));
        Assert.False(File.Exists(Path.Combine(ReleasesDir, "web", ".v1.release.json")));
        Assert.Equal("b", File.ReadAllText(Path.Combine(ReleasesDir, "web", "v2", "README")));
    }

    [Fact]
    public void AbsentReleaseIsNotFound()
    {
        var e = Assert.Throws<RpcException>(() => CreateStore().Remove("web", "v1"));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal("release web v1 is not on this host", e.Status.Detail);
    }

    [Fact]
    public async Task ReleaseWithRunningInstancesIsFailedPrecondition()
    {
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple()), CancellationToken.None);
        Usage.SetRunning("web", "v1", 2);
        var before = Snapshot();

        var e = Assert.Throws<RpcException>(() => store.Remove("web", "v1"));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("2 running instance(s)", e.Status.Detail);
        Assert.Equal(before, Snapshot());
        Assert.NotNull(store.Find("web", "v1"));

        Usage.SetRunning("web", "v1", 0);
        store.Remove("web", "v1");
        Assert.Null(store.Find("web", "v1"));
    }

    [Fact]
    public void InvalidNamesAreInvalidArgument()
    {
        var store = CreateStore();

        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => store.Remove("..", "v1")).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => store.Remove("web", "a/b")).StatusCode);
    }
}
