using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Baton.Agent.Tests.Instances;

/// <summary>The path the orchestrator takes: upload an artifact, launch from it, read its logs, retire it.</summary>
public sealed class ReleaseAndLogFlowTests : IAsyncLifetime
{
    private AgentProcess _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentProcess.StartAsync();

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    private static byte[] Artifact()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
        {
            tar.WriteEntry(Path.Combine(AppContext.BaseDirectory, "apps", "testapp.js"), "app/testapp.js");
        }
        return buffer.ToArray();
    }

    private async Task<UploadReleaseResponse> UploadAsync(string version, byte[] artifact, string? sha = null)
    {
        using var call = _agent.Client.UploadRelease();
        await call.RequestStream.WriteAsync(new UploadReleaseRequest
        {
            Header = new ReleaseHeader { App = "demo", Version = version, Size = (ulong)artifact.Length, Sha256 = sha ?? Convert.ToHexStringLower(SHA256.HashData(artifact)) },
        });
        foreach (var chunk in artifact.Chunk(4096))
            await call.RequestStream.WriteAsync(new UploadReleaseRequest { Chunk = ByteString.CopyFrom(chunk) });
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    [Fact]
    public async Task UploadLaunchReadLogsAndRemove()
    {
        var artifact = Artifact();
        var uploaded = await UploadAsync("v2", artifact);
        Assert.False(uploaded.AlreadyPresent);
        Assert.True((await UploadAsync("v2", artifact)).AlreadyPresent);

        var spec = AgentProcess.NodeSpec("flow-1", "demo", "v2", "--log-every", "30", "--stderr", "to stderr");
        spec.Args[0] = "app/testapp.js";
        await _agent.Client.LaunchAsync(new LaunchRequest { Instances = { spec } });

        // Follow stdout over gRPC until ten numbered lines have streamed past.
        using var follow = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = _agent.Client.ReadLogs(new ReadLogsRequest { InstanceId = "flow-1", Stream = LogStream.Stdout, FromOffset = 0, Follow = true }, cancellationToken: follow.Token);
        var text = new StringBuilder();
        ulong expectedOffset = 0;
        while (!text.ToString().Contains("line 10\n") && await call.ResponseStream.MoveNext(follow.Token))
        {
            Assert.Equal(expectedOffset, call.ResponseStream.Current.Offset);
            expectedOffset += (ulong)call.ResponseStream.Current.Data.Length;
            text.Append(call.ResponseStream.Current.Data.ToStringUtf8());
        }
        follow.Cancel();
        Assert.StartsWith("started pid=", text.ToString());
        Assert.Contains("line 1\nline 2\n", text.ToString());

        var tail = new StringBuilder();
        using (var tailCall = _agent.Client.ReadLogs(new ReadLogsRequest { InstanceId = "flow-1", Stream = LogStream.Stderr, TailLines = 5 }))
            while (await tailCall.ResponseStream.MoveNext(CancellationToken.None)) tail.Append(tailCall.ResponseStream.Current.Data.ToStringUtf8());
        Assert.Equal("to stderr\n", tail.ToString());

        var release = Assert.Single((await _agent.Client.ListReleasesAsync(new ListReleasesRequest { App = "demo" })).Releases);
        Assert.Equal(1u, release.RunningInstances);
        var busy = await Assert.ThrowsAsync<RpcException>(() => _agent.Client.RemoveReleaseAsync(new RemoveReleaseRequest { App = "demo", Version = "v2" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, busy.StatusCode);

        await _agent.Client.StopAsync(new StopRequest { InstanceIds = { "flow-1" }, Remove = true });
        await _agent.Client.RemoveReleaseAsync(new RemoveReleaseRequest { App = "demo", Version = "v2" });
        Assert.Empty((await _agent.Client.ListReleasesAsync(new ListReleasesRequest())).Releases);
        Assert.False(Directory.Exists(Path.Combine(_agent.DataDir, "releases", "demo", "v2")));
    }

    [Fact]
    public async Task AWrongChecksumIsRefusedOverTheWire()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => UploadAsync("v3", Artifact(), sha: new string('0', 64)));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("sha256", e.Status.Detail);
        Assert.Empty((await _agent.Client.ListReleasesAsync(new ListReleasesRequest())).Releases);
    }

    [Fact]
    public async Task ReadingLogsOfAnUnknownInstanceIsNotFound()
    {
        using var call = _agent.Client.ReadLogs(new ReadLogsRequest { InstanceId = "ghost" });
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }
}
