using System.Security.Cryptography;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Tests.Cli;

/// <summary>`baton deploy`: the artifact upload (header, 1 MiB chunks, sha256), the version from the file name, and --watch's progress and exit code.</summary>
public sealed class CliDeployTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("baton-cli-deploy-").FullName;

    [Fact]
    public async Task An_artifact_is_streamed_in_1_MiB_chunks_with_its_sha256_then_deployed_under_the_file_name_version()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        var artifact = Path.Combine(_dir, "web-v2.tar.gz");
        var content = new byte[(2 * 1024 * 1024) + 12345];
        new Random(42).NextBytes(content);
        await File.WriteAllBytesAsync(artifact, content);

        var result = await BatonCli.RunAsync(server, "deploy", "web", "--artifact", artifact);

        Assert.True(result.ExitCode == 0, result.ToString());
        var header = server.Service.UploadedHeader!;
        Assert.Equal("web", header.App);
        Assert.Equal("v2", header.Version);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), header.Sha256);
        Assert.Equal((ulong)content.Length, header.Size);
        Assert.Equal([1024 * 1024, 1024 * 1024, 12345], server.Service.UploadedChunkSizes);
        Assert.Equal(content, server.Service.UploadedBytes);
        Assert.Equal(["UploadArtifact", "StartDeploy"], server.Service.Calls.Select(c => c.Method));
        Assert.Equal("v2", ((DeployRequest)server.Service.Calls[1].Request).Version);
        Assert.Contains($"uploaded web v2 (2.0 MiB, sha256 {header.Sha256[..12]})", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("started deploy web-7 of web: v1 → v2 (3 steps)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_explicit_version_wins_over_the_file_name()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        var artifact = Path.Combine(_dir, "build-output.tgz");
        await File.WriteAllBytesAsync(artifact, [1, 2, 3]);

        var result = await BatonCli.RunAsync(server, "deploy", "web", "--artifact", artifact, "--version", "2025.06.01");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("2025.06.01", server.Service.UploadedHeader!.Version);
        Assert.Equal([3], server.Service.UploadedChunkSizes);
    }

    [Fact]
    public async Task A_file_name_without_a_version_asks_for_one()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        var artifact = Path.Combine(_dir, "release.tar.gz");
        await File.WriteAllBytesAsync(artifact, [1]);

        var result = await BatonCli.RunAsync(server, "deploy", "web", "--artifact", artifact);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("baton: cannot tell the version from the file name 'release.tar.gz'; pass --version\n", result.Stderr);
        Assert.Empty(server.Service.Calls);
    }

    [Fact]
    public async Task Watch_renders_each_phase_and_the_receipt_and_exits_0_when_the_deploy_succeeds()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, "deploy", "web", "--version", "v2", "--watch");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["StartDeploy", "WatchDeploy"], server.Service.Calls.Select(c => c.Method));
        var lines = result.Stdout.Split('\n');
        Assert.Contains(lines, l => l.Contains("distributing  step 0/3", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("shifting  step 1/3  weights v2 25 % · v1 75 %  ready v2 2 · v1 2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("shifting  step 2/3  weights v2 50 % · v1 50 %", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("draining", StringComparison.Ordinal));
        Assert.Contains("deploy web-7 of web: v1 → v2: succeeded in 45 s", result.Stdout, StringComparison.Ordinal);
        // The receipt: one row per step with weights, the ACK delay, data planes, requests/errors per release, verdict.
        Assert.Contains(lines, l => l.Contains("v2 25 % · v1 75 %", StringComparison.Ordinal) && l.Contains("(+42 ms)", StringComparison.Ordinal)
            && l.Contains("v2 400/1 · v1 1200/0", StringComparison.Ordinal) && l.Contains("passed", StringComparison.Ordinal));
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Watch_exits_1_with_the_reason_when_the_deploy_ends_rolled_back()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        server.Service.WatchSequence = CannedReplies.RolledBackDeploy();

        var result = await BatonCli.RunAsync(server, "deploy", "web", "--version", "v2", "--watch");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"rolling back  step 2/3  weights v2 50 % · v1 50 %  ready v2 2 · v1 2  reason: {CannedReplies.RollbackReason}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("deploy web-7 of web: v1 → v2: rolled back in 30 s", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"failed: {CannedReplies.RollbackReason}", result.Stdout, StringComparison.Ordinal);
        Assert.Equal($"baton: deploy web-7 of web: v1 → v2 rolled back: {CannedReplies.RollbackReason}\n", result.Stderr);
    }

    [Fact]
    public async Task Without_watch_the_deploy_is_started_and_the_command_returns()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, "deploy", "web", "--version", "v2");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["StartDeploy"], server.Service.Calls.Select(c => c.Method));
        Assert.Contains("follow it with `baton status web`", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web", "web-v2.tar.gz", "v2")]
    [InlineData("web", "/builds/web-1.4.0.tgz", "1.4.0")]
    [InlineData("my-app", "my-app-v3.tar", "v3")]
    [InlineData("web", "build-v7.tar.gz", "v7")]
    [InlineData("web", "release.tar.gz", null)]
    [InlineData("web", "web-V2.tar.gz", null)]
    public void The_version_comes_from_the_file_name(string app, string path, string? expected) =>
        Assert.Equal(expected, Baton.Orchestrator.Cli.ArtifactUpload.VersionFromFileName(app, path));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
