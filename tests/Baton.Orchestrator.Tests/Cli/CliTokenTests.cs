namespace Baton.Orchestrator.Tests.Cli;

/// <summary>The API token goes out as "authorization: Bearer …", from BATON_TOKEN, --token-file or BATON_TOKEN_FILE.</summary>
public sealed class CliTokenTests : IDisposable
{
    private readonly string _tokenFile = Path.Combine(Path.GetTempPath(), $"baton-cli-token-{Guid.NewGuid():n}");

    [Fact]
    public async Task The_token_from_BATON_TOKEN_is_sent_as_a_bearer_token()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        server.Service.RequiredToken = "s3cret-env";

        var result = await BatonCli.RunAsync(["ps", "--server", server.Address.ToString()], new Dictionary<string, string> { ["BATON_TOKEN"] = "s3cret-env" });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Bearer s3cret-env", Assert.Single(server.Service.Calls).Authorization);
    }

    [Fact]
    public async Task The_token_from_a_token_file_is_sent_trimmed_and_the_flag_wins_over_the_environment()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        server.Service.RequiredToken = "s3cret-file";
        await File.WriteAllTextAsync(_tokenFile, "s3cret-file\n");

        var result = await BatonCli.RunAsync(
            ["agents", "--server", server.Address.ToString(), "--token-file", _tokenFile],
            new Dictionary<string, string> { ["BATON_TOKEN"] = "from-env" });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Bearer s3cret-file", Assert.Single(server.Service.Calls).Authorization);
    }

    [Fact]
    public async Task The_token_file_can_come_from_BATON_TOKEN_FILE_and_the_server_from_BATON_SERVER()
    {
        await using var server = await TestOrchestratorServer.StartAsync();
        server.Service.RequiredToken = "s3cret-file-env";
        await File.WriteAllTextAsync(_tokenFile, "s3cret-file-env");

        var result = await BatonCli.RunAsync(
            ["dataplanes"],
            new Dictionary<string, string> { ["BATON_TOKEN_FILE"] = _tokenFile, ["BATON_SERVER"] = server.Address.ToString() });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Bearer s3cret-file-env", Assert.Single(server.Service.Calls).Authorization);
    }

    [Fact]
    public async Task Without_a_token_no_authorization_header_is_sent()
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, "agents");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Null(Assert.Single(server.Service.Calls).Authorization);
    }

    public void Dispose() => File.Delete(_tokenFile);
}
