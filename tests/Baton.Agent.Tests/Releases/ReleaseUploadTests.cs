using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Baton.Agent.Tests.Releases;

[UnsupportedOSPlatform("windows")] // asserts Unix file modes
public class ReleaseUploadTests : ReleaseStoreTestBase
{
    [Fact]
    public async Task StoresFilesFoldersLinksAndModes()
    {
        var artifact = new ArtifactBuilder()
            .File("bin/app", "#!/bin/sh\necho hi\n", ArtifactBuilder.Executable)
            .HardLink("bin/app-again", "bin/app")
            .File("config/app.json", "{\"port\":0}")
            .File("lib/deep/nested/data.txt", "deep")
            .Folder("var/cache", (UnixFileMode)0b111_101_000) // 0750
            .Symlink("current-config", "config/app.json")
            .Symlink("lib/deep/tools", "../../bin")
            .Build();
        var store = CreateStore();

        var response = await store.ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);

        var folder = Path.Combine(ReleasesDir, "web", "v1");
        Assert.False(response.AlreadyPresent);
        Assert.Equal("web", response.Release.App);
        Assert.Equal("v1", response.Release.Version);
        Assert.Equal(Uploads.Sha256Of(artifact), response.Release.Sha256);
        Assert.Equal((ulong)artifact.Length, response.Release.Size);
        Assert.Equal(folder, response.Release.Path);
        Assert.Equal(Timestamp.FromDateTimeOffset(Epoch), response.Release.CreatedAt);
        Assert.Equal(0u, response.Release.RunningInstances);

        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Combine(folder, "bin/app")));
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Combine(folder, "bin/app-again")));
        Assert.Equal("deep", File.ReadAllText(Path.Combine(folder, "lib/deep/nested/data.txt")));
        Assert.True(File.GetUnixFileMode(Path.Combine(folder, "bin/app")).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.GetUnixFileMode(Path.Combine(folder, "config/app.json")).HasFlag(UnixFileMode.UserExecute));
        Assert.True(Directory.Exists(Path.Combine(folder, "var/cache")));
        Assert.False(File.GetUnixFileMode(Path.Combine(folder, "var/cache")).HasFlag(UnixFileMode.OtherRead));

        Assert.Equal("config/app.json", new FileInfo(Path.Combine(folder, "current-config")).LinkTarget);
        Assert.Equal("{\"port\":0}", File.ReadAllText(Path.Combine(folder, "current-config")));
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Combine(folder, "lib/deep/tools/app")));

        Assert.Empty(Directory.EnumerateFileSystemEntries(TmpDir));
        Assert.Equal(response.Release, store.Find("web", "v1"));
    }

    [Fact]
    public async Task WritesMetadataBesideTheFolderNotInsideIt()
    {
        var artifact = ArtifactBuilder.Simple();
        await CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);

        var metadata = Path.Combine(ReleasesDir, "web", ".v1.release.json");
        using var json = JsonDocument.Parse(File.ReadAllText(metadata));
        Assert.Equal(Uploads.Sha256Of(artifact), json.RootElement.GetProperty("sha256").GetString());
        Assert.Equal(artifact.Length, json.RootElement.GetProperty("size").GetInt64());
        Assert.Equal(Epoch, json.RootElement.GetProperty("created_at").GetDateTimeOffset());
        Assert.Equal(["README", "bin"],
            Directory.EnumerateFileSystemEntries(Path.Combine(ReleasesDir, "web", "v1")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task AcceptsArchivesMadeFromDot()
    {
        // What `tar -C build -czf app.tar.gz .` produces: the folder itself as "./", names under "./".
        var artifact = new ArtifactBuilder()
            .Folder("./")
            .Folder("./bin/")
            .File("./bin/app", "x", ArtifactBuilder.Executable)
            .Build();

        await CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);

        Assert.Equal("x", File.ReadAllText(Path.Combine(ReleasesDir, "web", "v1", "bin", "app")));
    }

    [Fact]
    public async Task StripsSetUserAndSetGroupBits()
    {
        var artifact = new ArtifactBuilder()
            .File("bin/su", "x", ArtifactBuilder.Executable | UnixFileMode.SetUser | UnixFileMode.SetGroup)
            .Build();

        await CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);

        var mode = File.GetUnixFileMode(Path.Combine(ReleasesDir, "web", "v1", "bin", "su"));
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute));
        Assert.False(mode.HasFlag(UnixFileMode.SetUser));
        Assert.False(mode.HasFlag(UnixFileMode.SetGroup));
    }

    [Fact]
    public async Task ReceivesAnArtifactInManyChunks()
    {
        var payload = new byte[300_000];
        new Random(7).NextBytes(payload); // incompressible, so the artifact itself spans many chunks
        var artifact = new ArtifactBuilder().File("blob.bin", payload).Build();

        await CreateStore().ReceiveAsync(Uploads.Of(Uploads.Header("web", "v1", artifact), artifact, chunkSize: 4096), CancellationToken.None);

        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(ReleasesDir, "web", "v1", "blob.bin")));
    }

    [Fact]
    public async Task SameReleaseAgainIsAlreadyPresentAndUntouched()
    {
        var artifact = ArtifactBuilder.Simple();
        var store = CreateStore();
        var first = await store.ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);
        var before = Snapshot();
        Clock.Advance(TimeSpan.FromHours(1));

        var again = await store.ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);

        Assert.True(again.AlreadyPresent);
        Assert.Equal(first.Release, again.Release);
        Assert.Equal(Timestamp.FromDateTimeOffset(Epoch), again.Release.CreatedAt);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task SameVersionWithOtherContentIsAlreadyExistsNamingBothDigests()
    {
        var original = ArtifactBuilder.Simple("one");
        var other = ArtifactBuilder.Simple("two");
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", original), CancellationToken.None);
        var before = Snapshot();

        var e = await AssertRejected(StatusCode.AlreadyExists,
            () => store.ReceiveAsync(Uploads.Of("web", "v1", other), CancellationToken.None));

        Assert.Contains(Uploads.Sha256Of(original), e.Status.Detail);
        Assert.Contains(Uploads.Sha256Of(other), e.Status.Detail);
        Assert.Equal(before, Snapshot());
        Assert.Equal("one", File.ReadAllText(Path.Combine(ReleasesDir, "web", "v1", "README")));
    }

    [Fact]
    public async Task ConcurrentUploadsOfOneReleaseStoreItOnce()
    {
        var artifact = ArtifactBuilder.Simple();
        var header = Uploads.Header("web", "v1", artifact);
        var gate = new TaskCompletionSource();
        var store = CreateStore();

        // The first upload holds the release while it waits at the gate; the second queues behind it.
        var first = store.ReceiveAsync(Uploads.Gated(header, artifact, gate.Task), CancellationToken.None);
        var second = store.ReceiveAsync(Uploads.Of(header, artifact), CancellationToken.None);
        Assert.False(second.IsCompleted);
        gate.SetResult();
        var responses = await Task.WhenAll(first, second);

        Assert.False(responses[0].AlreadyPresent);
        Assert.True(responses[1].AlreadyPresent);
        Assert.Equal(responses[0].Release, responses[1].Release);
        Assert.Equal(["README", "bin"],
            Directory.EnumerateFileSystemEntries(Path.Combine(ReleasesDir, "web", "v1")).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.EnumerateFileSystemEntries(TmpDir));
    }

    [Fact]
    public async Task ConcurrentUploadOfOtherContentWaitsThenGetsAlreadyExists()
    {
        var artifact = ArtifactBuilder.Simple("one");
        var other = ArtifactBuilder.Simple("two");
        var gate = new TaskCompletionSource();
        var store = CreateStore();

        var first = store.ReceiveAsync(Uploads.Gated(Uploads.Header("web", "v1", artifact), artifact, gate.Task), CancellationToken.None);
        var second = store.ReceiveAsync(Uploads.Of("web", "v1", other), CancellationToken.None);
        gate.SetResult();

        Assert.False((await first).AlreadyPresent);
        await AssertRejected(StatusCode.AlreadyExists, () => second);
        Assert.Equal("one", File.ReadAllText(Path.Combine(ReleasesDir, "web", "v1", "README")));
    }

    [Fact]
    public async Task CancelledUploadLeavesNothingBehind()
    {
        var artifact = ArtifactBuilder.Simple();
        using var cancel = new CancellationTokenSource();
        var gate = new TaskCompletionSource();
        var store = CreateStore();

        var upload = store.ReceiveAsync(Uploads.Gated(Uploads.Header("web", "v1", artifact), artifact, gate.Task), cancel.Token);
        await cancel.CancelAsync();
        gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
        AssertNothingStored();
    }

    [Fact]
    public async Task ListsReleasesByAppNewestFirstWithRunningInstances()
    {
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple("a")), CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(1));
        await store.ReceiveAsync(Uploads.Of("api", "v7", ArtifactBuilder.Simple("b")), CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(1));
        await store.ReceiveAsync(Uploads.Of("web", "v2", ArtifactBuilder.Simple("c")), CancellationToken.None);
        Usage.SetRunning("web", "v1", 2);

        var all = store.List(null);
        var web = store.List("web");

        Assert.Equal(["api v7", "web v2", "web v1"], all.Select(r => $"{r.App} {r.Version}"));
        Assert.Equal(["web v2", "web v1"], web.Select(r => $"{r.App} {r.Version}"));
        Assert.Equal([0u, 2u], web.Select(r => r.RunningInstances));
        Assert.Empty(store.List("nothing"));
        Assert.Equal(2u, store.Find("web", "v1")!.RunningInstances);
        Assert.Null(store.Find("web", "v9"));
    }

    [Fact]
    public async Task UnreadableMetadataIsDataLossForFindAndSkippedByList()
    {
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple("a")), CancellationToken.None);
        await store.ReceiveAsync(Uploads.Of("web", "v2", ArtifactBuilder.Simple("b")), CancellationToken.None);
        File.WriteAllText(Path.Combine(ReleasesDir, "web", ".v1.release.json"), "{ not json");

        var e = Assert.Throws<RpcException>(() => store.Find("web", "v1"));

        Assert.Equal(StatusCode.DataLoss, e.StatusCode);
        Assert.Contains(".v1.release.json", e.Status.Detail);
        Assert.Equal(["v2"], store.List("web").Select(r => r.Version));
    }

    [Fact]
    public void PathOfIsTheReleaseFolderAndValidatesNames()
    {
        var store = CreateStore();

        Assert.Equal(Path.Combine(ReleasesDir, "web", "v1"), store.PathOf("web", "v1"));
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => store.PathOf("web", "..")).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => store.List("Web")).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => store.Find("web/x", "v1")).StatusCode);
    }

    [Fact]
    public async Task CommittedReleasesSurviveARestart()
    {
        var artifact = ArtifactBuilder.Simple();
        var stored = await CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);

        var restarted = CreateStore();

        Assert.Equal(stored.Release, restarted.Find("web", "v1"));
        Assert.True(File.Exists(Path.Combine(ReleasesDir, "web", "v1", "README")));
        Assert.Equal(Encoding.UTF8.GetBytes("v1"), File.ReadAllBytes(Path.Combine(ReleasesDir, "web", "v1", "README")));
    }
}
