namespace Baton.Agent.Tests.Releases;

public class ReleaseRetentionTests : ReleaseStoreTestBase
{
    private async Task Upload(Baton.Agent.Releases.ReleaseStore store, string version)
    {
        await store.ReceiveAsync(Uploads.Of("web", version, ArtifactBuilder.Simple(version)), CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(1));
    }

    private string[] VersionsOnDisk() =>
        Directory.EnumerateDirectories(Path.Combine(ReleasesDir, "web")).Select(d => Path.GetFileName(d)!).Order().ToArray();

    [Fact]
    public async Task KeepsTheNewestReleasesOfTheApp()
    {
        Options.KeepReleases = 2;
        var store = CreateStore();

        foreach (var version in new[] { "v1", "v2", "v3", "v4" }) await Upload(store, version);

        Assert.Equal(["v4", "v3"], store.List("web").Select(r => r.Version));
        Assert.Equal(["v3", "v4"], VersionsOnDisk());
        Assert.False(File.Exists(Path.Combine(ReleasesDir, "web", ".v1.release.json")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(TmpDir));
    }

    [Fact]
    public async Task NewestMeansCreatedLastNotNamedHighest()
    {
        Options.KeepReleases = 1;
        var store = CreateStore();

        await Upload(store, "v9");
        await Upload(store, "v1");

        Assert.Equal(["v1"], store.List("web").Select(r => r.Version));
    }

    [Fact]
    public async Task NeverRemovesAReleaseWithRunningInstances()
    {
        Options.KeepReleases = 2;
        var store = CreateStore();
        Usage.SetRunning("web", "v1", 1);

        foreach (var version in new[] { "v1", "v2", "v3", "v4" }) await Upload(store, version);

        Assert.Equal(["v4", "v3", "v1"], store.List("web").Select(r => r.Version));

        Usage.SetRunning("web", "v1", 0);
        store.ApplyRetention("web");

        Assert.Equal(["v4", "v3"], store.List("web").Select(r => r.Version));
        Assert.Equal(["v3", "v4"], VersionsOnDisk());
    }

    [Fact]
    public async Task NeverRemovesTheReleaseJustUploaded()
    {
        Options.KeepReleases = 1;
        var store = CreateStore();
        await Upload(store, "v2");
        Clock.Set(Epoch - TimeSpan.FromDays(1)); // the host clock went back: the new upload looks oldest

        await Upload(store, "v1");

        Assert.Equal(["v2", "v1"], store.List("web").Select(r => r.Version));
    }

    [Fact]
    public async Task OnlyTouchesTheAppUploaded()
    {
        Options.KeepReleases = 1;
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("api", "v1", ArtifactBuilder.Simple("api")), CancellationToken.None);

        await Upload(store, "v1");
        await Upload(store, "v2");

        Assert.Equal(["api v1", "web v2"], store.List(null).Select(r => $"{r.App} {r.Version}"));
    }
}
