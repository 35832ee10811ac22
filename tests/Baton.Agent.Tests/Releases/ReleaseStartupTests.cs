namespace Baton.Agent.Tests.Releases;

public class ReleaseStartupTests : ReleaseStoreTestBase
{
    [Fact]
    public void DeletesLeftoversOfInterruptedUploads()
    {
        Directory.CreateDirectory(Path.Combine(TmpDir, "web_v1_0123.d", "bin"));
        File.WriteAllText(Path.Combine(TmpDir, "web_v1_0123.d", "bin", "app"), "half");
        File.WriteAllText(Path.Combine(TmpDir, "web_v1_0123.tar.gz"), "half an artifact");
        File.WriteAllText(Path.Combine(TmpDir, "web_v1_0456.release.json"), "{");

        CreateStore();

        AssertNothingStored();
    }

    [Fact]
    public async Task DeletesAFolderWhoseCommitOrRemovalWasInterrupted()
    {
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple()), CancellationToken.None);
        // What a crash between renaming the folder into place and writing its metadata leaves.
        Directory.CreateDirectory(Path.Combine(ReleasesDir, "web", "v2", "bin"));
        File.WriteAllText(Path.Combine(ReleasesDir, "web", "v2", "bin", "app"), "uncommitted");
        // And metadata whose folder is gone.
        File.WriteAllText(Path.Combine(ReleasesDir, "web", ".v3.release.json"), "{}");

        var restarted = CreateStore();

        Assert.Equal(["v1"], restarted.List("web").Select(r => r.Version));
        Assert.False(Directory.Exists(Path.Combine(ReleasesDir, "web", "v2")));
        Assert.False(File.Exists(Path.Combine(ReleasesDir, "web", ".v3.release.json")));
        Assert.True(File.Exists(Path.Combine(ReleasesDir, "web", "v1", "README")));
    }

    [Fact]
    public async Task AnUploadReplacesAnUncommittedFolder()
    {
        var store = CreateStore();
        Directory.CreateDirectory(Path.Combine(ReleasesDir, "web", "v1"));
        File.WriteAllText(Path.Combine(ReleasesDir, "web", "v1", "stale"), "stale");

        var response = await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple()), CancellationToken.None);

        Assert.False(response.AlreadyPresent);
        Assert.False(File.Exists(Path.Combine(ReleasesDir, "web", "v1", "stale")));
        Assert.True(File.Exists(Path.Combine(ReleasesDir, "web", "v1", "README")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(TmpDir));
    }
}
