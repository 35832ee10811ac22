using System.Text;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Tests.Releases;

/// <summary>Every refused upload names its reason and leaves nothing on disk.</summary>
public class ReleaseUploadRejectionTests : ReleaseStoreTestBase
{
    private async Task<string> Refused(IAsyncEnumerable<UploadReleaseRequest> messages)
    {
        var store = CreateStore();
        var e = await AssertRejected(StatusCode.InvalidArgument, () => store.ReceiveAsync(messages, CancellationToken.None));
        AssertNothingStored();
        Assert.Empty(store.List(null));
        return e.Status.Detail;
    }

    [Fact]
    public async Task WrongChecksum()
    {
        var artifact = ArtifactBuilder.Simple();
        var header = Uploads.Header("web", "v1", artifact);
        header.Sha256 = Uploads.Sha256Of(ArtifactBuilder.Simple("other"));

        var detail = await Refused(Uploads.Of(header, artifact));

        Assert.Contains("sha256 mismatch", detail);
        Assert.Contains(header.Sha256, detail);
        Assert.Contains(Uploads.Sha256Of(artifact), detail);
    }

    [Fact]
    public async Task FewerBytesThanStated()
    {
        var artifact = ArtifactBuilder.Simple();
        var header = Uploads.Header("web", "v1", artifact);
        header.Size += 10;

        var detail = await Refused(Uploads.Of(header, artifact));

        Assert.Contains($"size mismatch: the header states {header.Size} bytes, the upload ended after {artifact.Length}", detail);
    }

    [Fact]
    public async Task MoreBytesThanStated()
    {
        var artifact = ArtifactBuilder.Simple();
        var header = Uploads.Header("web", "v1", artifact);
        header.Size -= 10;

        var detail = await Refused(Uploads.Of(header, artifact));

        Assert.Contains($"larger than the {header.Size} bytes stated", detail);
    }

    [Fact]
    public async Task OversizedChunk()
    {
        Options.MaxChunkBytes = 100;
        var artifact = ArtifactBuilder.Simple();

        var detail = await Refused(Uploads.Of(Uploads.Header("web", "v1", artifact), artifact, chunkSize: 101));

        Assert.Contains("chunk of 101 bytes exceeds the largest chunk accepted, 100 bytes", detail);
    }

    [Fact]
    public async Task ArtifactLargerThanAllowed()
    {
        var artifact = ArtifactBuilder.Simple();
        Options.MaxArtifactBytes = artifact.Length - 1;

        var detail = await Refused(Uploads.Of("web", "v1", artifact));

        Assert.Contains($"exceeds the largest artifact accepted, {artifact.Length - 1} bytes", detail);
    }

    [Fact]
    public async Task ZeroSize()
    {
        var header = new ReleaseHeader { App = "web", Version = "v1", Sha256 = Uploads.Sha256Of([]), Size = 0 };

        var detail = await Refused(Uploads.Messages(Uploads.HeaderMessage(header)));

        Assert.Contains("size must be greater than zero", detail);
    }

    [Theory]
    [InlineData("uppercase")]
    [InlineData("short")]
    [InlineData("not-hex")]
    [InlineData("empty")]
    public async Task MalformedSha256(string kind)
    {
        var artifact = ArtifactBuilder.Simple();
        var header = Uploads.Header("web", "v1", artifact);
        header.Sha256 = kind switch
        {
            "uppercase" => header.Sha256.ToUpperInvariant(),
            "short" => header.Sha256[..63],
            "not-hex" => "g" + header.Sha256[1..],
            _ => "",
        };

        var detail = await Refused(Uploads.Of(header, artifact));

        Assert.Contains("is not 64 lowercase hex digits", detail);
    }

    [Theory]
    [InlineData("Web", "v1", "app \"Web\"")]
    [InlineData("web", "../v1", "version \"../v1\"")]
    [InlineData("", "v1", "app \"\"")]
    [InlineData("web", "", "version \"\"")]
    [InlineData("web", ".hidden", "version \".hidden\"")]
    public async Task InvalidNames(string app, string version, string named)
    {
        var artifact = ArtifactBuilder.Simple();

        var detail = await Refused(Uploads.Of(app, version, artifact));

        Assert.Contains(named, detail);
        Assert.Contains("is not a valid name", detail);
    }

    [Fact]
    public async Task NoMessagesAtAll()
    {
        var detail = await Refused(Uploads.Messages());

        Assert.Contains("carried no messages", detail);
    }

    [Fact]
    public async Task ChunkBeforeHeader()
    {
        var artifact = ArtifactBuilder.Simple();

        var detail = await Refused(Uploads.Messages(
            Uploads.Chunk(artifact, 0, artifact.Length), Uploads.HeaderMessage(Uploads.Header("web", "v1", artifact))));

        Assert.Contains("first message of an upload must be the release header, got a chunk", detail);
    }

    [Fact]
    public async Task EmptyFirstMessage()
    {
        var detail = await Refused(Uploads.Messages(new UploadReleaseRequest()));

        Assert.Contains("got an empty message", detail);
    }

    [Fact]
    public async Task SecondHeader()
    {
        var artifact = ArtifactBuilder.Simple();
        var header = Uploads.Header("web", "v1", artifact);

        var detail = await Refused(Uploads.Messages(
            Uploads.HeaderMessage(header), Uploads.Chunk(artifact, 0, 10), Uploads.HeaderMessage(header)));

        Assert.Contains("second header", detail);
    }

    [Fact]
    public async Task RandomBytes()
    {
        var junk = new byte[4096];
        new Random(42).NextBytes(junk);

        var detail = await Refused(Uploads.Of("web", "v1", junk));

        Assert.StartsWith("artifact is not a valid tar.gz", detail);
    }

    [Fact]
    public async Task GzipOfSomethingThatIsNotTar()
    {
        var artifact = ArtifactBuilder.Gzip(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("not a tar archive ", 200))));

        var detail = await Refused(Uploads.Of("web", "v1", artifact));

        Assert.StartsWith("artifact is not a valid tar.gz", detail);
    }

    [Fact]
    public async Task EmptyArchive()
    {
        // An empty tar is just its end marker: two zero blocks.
        var detail = await Refused(Uploads.Of("web", "v1", ArtifactBuilder.Gzip(new byte[1024])));

        Assert.Equal("artifact is not a valid tar.gz: it contains no entries", detail);
    }

    private static byte[] LargeArtifact()
    {
        var payload = new byte[200_000];
        new Random(3).NextBytes(payload);
        return new ArtifactBuilder().File("first.txt", "first").File("blob.bin", payload).Build();
    }

    [Theory]
    [InlineData(0.5)]   // in the middle of a file's data
    [InlineData(0.95)]  // in the deflate data near the end
    public async Task TruncatedGzip(double keep)
    {
        var whole = LargeArtifact();
        var truncated = whole[..(int)(whole.Length * keep)];

        // The header describes the truncated bytes, so only the archive check can catch it.
        var detail = await Refused(Uploads.Of("web", "v1", truncated));

        Assert.StartsWith("artifact is not a valid tar.gz", detail);
    }

    [Fact]
    public async Task GzipWithAWrongCrc()
    {
        var damaged = LargeArtifact();
        damaged[^8] ^= 0xFF; // first byte of the CRC32 in the gzip trailer

        var detail = await Refused(Uploads.Of("web", "v1", damaged));

        Assert.StartsWith("artifact is not a valid tar.gz", detail);
    }

    [Fact]
    public async Task GzipMissingOnlyItsTrailer()
    {
        var whole = LargeArtifact();

        var detail = await Refused(Uploads.Of("web", "v1", whole[..^8]));

        Assert.StartsWith("artifact is not a valid tar.gz", detail);
    }

    [Fact]
    public async Task RefusalDoesNotDisturbOtherReleases()
    {
        var store = CreateStore();
        await store.ReceiveAsync(Uploads.Of("web", "v1", ArtifactBuilder.Simple()), CancellationToken.None);
        var before = Snapshot();

        await AssertRejected(StatusCode.InvalidArgument,
            () => store.ReceiveAsync(Uploads.Of("web", "v2", new ArtifactBuilder().File("../x", "x").Build()), CancellationToken.None));

        Assert.Equal(before, Snapshot());
        Assert.Equal(["v1"], store.List("web").Select(r => r.Version));
    }
}
