using System.Net;
using System.Net.Sockets;
using Grpc.Core;

namespace Baton.Orchestrator.Tests.Cli;

/// <summary>The exit-code table: server refusals → 1 with the server's message, unreachable → 3, unauthenticated → 4.</summary>
public sealed class CliExitCodeTests
{
    [Theory]
    [InlineData(StatusCode.NotFound, "no app web: apply its spec first (baton apply -f web.yaml)")]
    [InlineData(StatusCode.FailedPrecondition, "deploy web-7 of web is running (shifting); use `baton abort web` to roll it back")]
    [InlineData(StatusCode.InvalidArgument, "version \"V2\" is not a valid name")]
    [InlineData(StatusCode.AlreadyExists, "agent host-a already exists at 10.0.0.5:7070")]
    public async Task A_refusal_by_the_server_exits_1_with_its_message(StatusCode code, string message)
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        server.Service.Failures["GetStatus"] = new Status(code, message);

        var result = await BatonCli.RunAsync(server, "status", "web");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"baton: {message}\n", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task An_unreachable_server_exits_3_with_a_clear_message()
    {
        var port = UnusedPort();

        var result = await BatonCli.RunAsync(["status", "web"], new Dictionary<string, string> { ["BATON_SERVER"] = $"http://127.0.0.1:{port}" });

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Equal($"baton: cannot reach the Baton server at http://127.0.0.1:{port}: connection refused — is `baton server` running?\n", result.Stderr);
    }

    [Fact]
    public async Task A_refused_token_exits_4()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        server.Service.RequiredToken = "s3cret";

        var result = await BatonCli.RunAsync(["agents", "--server", server.Address.ToString()], new Dictionary<string, string> { ["BATON_TOKEN"] = "wrong" });

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("missing or invalid bearer token", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("BATON_TOKEN", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Any_other_server_error_exits_1_naming_the_code()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        server.Service.Failures["ListAgents"] = new Status(StatusCode.Internal, "store is read-only");

        var result = await BatonCli.RunAsync(server, "agents");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("baton: the Baton server answered Internal: store is read-only\n", result.Stderr);
    }

    /// <summary>A port nothing listens on: bound by the kernel, then released.</summary>
    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
