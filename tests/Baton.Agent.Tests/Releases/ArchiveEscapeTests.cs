using System.Formats.Tar;
using Grpc.Core;

namespace Baton.Agent.Tests.Releases;

/// <summary>
/// Entries that could reach outside the release folder reject the whole artifact, even when
/// harmless entries came before them, and nothing lands anywhere.
/// </summary>
public class ArchiveEscapeTests : ReleaseStoreTestBase
{
    public static TheoryData<string, string> Cases => new()
    {
        { "dot-dot", "../escaped" },
        { "nested-dot-dot", "a/../../escaped" },
        { "absolute", "/ABSOLUTE/escaped" },
        { "symlink-climbing-out", "link" },
        { "nested-symlink-climbing-out", "a/b/link" },
        { "symlink-absolute", "link" },
        { "symlink-climbing-after-descending", "t" },
        { "file-through-symlink", "inside-link/escaped" },
        { "hardlink-climbing-out", "hard" },
        { "hardlink-absolute", "hard" },
        { "hardlink-to-missing-entry", "hard" },
        { "hardlink-to-symlink", "hard" },
        { "character-device", "dev/null" },
        { "block-device", "dev/sda" },
        { "fifo", "pipe" },
    };

    private ArtifactBuilder Hostile(string kind)
    {
        var absolute = Path.Combine(DataDir, "escaped");
        // A harmless entry first: refusing must also undo what was already unpacked.
        var builder = new ArtifactBuilder().File("ok.txt", "fine").Folder("inside");
        return kind switch
        {
            "dot-dot" => builder.File("../escaped", "x"),
            "nested-dot-dot" => builder.File("a/../../escaped", "x"),
            "absolute" => builder.File(absolute, "x"),
            "symlink-climbing-out" => builder.Symlink("link", "../../outside"),
            "nested-symlink-climbing-out" => builder.Symlink("a/b/link", "../../../outside"),
            "symlink-absolute" => builder.Symlink("link", absolute),
            // s resolves to the folder itself, so s/s/.. would be the parent of the release folder.
            "symlink-climbing-after-descending" => builder.Symlink("s", ".").Symlink("t", "s/s/.."),
            "file-through-symlink" => builder.Symlink("inside-link", "inside").File("inside-link/escaped", "x"),
            "hardlink-climbing-out" => builder.HardLink("hard", "../escaped"),
            "hardlink-absolute" => builder.HardLink("hard", absolute),
            "hardlink-to-missing-entry" => builder.HardLink("hard", "not-in-archive"),
            "hardlink-to-symlink" => builder.Symlink("soft", "ok.txt").HardLink("hard", "soft"),
            "character-device" => builder.Add(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3 }),
            "block-device" => builder.Add(new PaxTarEntry(TarEntryType.BlockDevice, "dev/sda") { DeviceMajor = 8, DeviceMinor = 0 }),
            "fifo" => builder.Special(TarEntryType.Fifo, "pipe"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RejectsTheWholeArtifactNamingTheEntry(string kind, string entryName)
    {
        var artifact = Hostile(kind).Build();
        var store = CreateStore();

        var e = await AssertRejected(StatusCode.InvalidArgument,
            () => store.ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None));

        var shownName = kind == "absolute" ? Path.Combine(DataDir, "escaped") : entryName;
        Assert.StartsWith($"artifact rejected: entry \"{shownName}\"", e.Status.Detail);
        Assert.Null(store.Find("web", "v1"));
        AssertNothingStored(); // covers DataDir/escaped, releases/outside and releases/.tmp/escaped too
    }

    [Theory]
    [InlineData("../escaped", "has a '..' component")]
    [InlineData("/etc/escaped", "is an absolute path")]
    public async Task ExplainsWhyANameIsRefused(string name, string reason)
    {
        var artifact = new ArtifactBuilder().File(name, "x").Build();

        var e = await AssertRejected(StatusCode.InvalidArgument,
            () => CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None));

        Assert.Equal($"artifact rejected: entry \"{name}\" {reason}", e.Status.Detail);
    }

    [Fact]
    public async Task ExplainsWhyALinkIsRefused()
    {
        var artifact = new ArtifactBuilder().Symlink("a/link", "../../outside").Build();

        var e = await AssertRejected(StatusCode.InvalidArgument,
            () => CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None));

        Assert.Equal("artifact rejected: entry \"a/link\" is a symbolic link to \"../../outside\", which points outside the release folder",
            e.Status.Detail);
    }

    [Fact]
    public async Task RejectsAnEntryAppearingTwice()
    {
        var artifact = new ArtifactBuilder().File("a.txt", "one").File("a.txt", "two").Build();

        var e = await AssertRejected(StatusCode.InvalidArgument,
            () => CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None));

        Assert.Equal("artifact rejected: entry \"a.txt\" appears twice in the archive", e.Status.Detail);
        AssertNothingStored();
    }

    [Fact]
    public async Task AcceptsLinksThatStayInside()
    {
        var artifact = new ArtifactBuilder()
            .File("lib/real.so", "so")
            .Symlink("lib/alias.so", "real.so")
            .Symlink("bin/deep/lib", "../../lib")
            .Symlink("self", ".")
            .HardLink("lib/copy.so", "./lib/real.so")
            .Build();

        await CreateStore().ReceiveAsync(Uploads.Of("web", "v1", artifact), CancellationToken.None);

        var folder = Path.Combine(ReleasesDir, "web", "v1");
        Assert.Equal("so", File.ReadAllText(Path.Combine(folder, "lib/alias.so")));
        Assert.Equal("so", File.ReadAllText(Path.Combine(folder, "bin/deep/lib/real.so")));
        Assert.Equal("so", File.ReadAllText(Path.Combine(folder, "self/lib/copy.so")));
    }
}
