using Baton.Protos.Orchestrator.V1;
using Google.Protobuf;

namespace Baton.Orchestrator.Tests.Cli;

/// <summary>--json prints the reply in the proto's JSON mapping and nothing else: it parses back to the same message.</summary>
public sealed class CliJsonTests
{
    public static TheoryData<string[], IMessage> ReadCommands => new()
    {
        { ["status", "web", "--json"], CannedReplies.Status() },
        { ["history", "web", "--json"], CannedReplies.History() },
        { ["ps", "--json"], CannedReplies.Instances() },
        { ["ps", "web", "--json"], CannedReplies.Instances() },
        { ["agents", "--json"], CannedReplies.Agents() },
        { ["dataplanes", "--json"], CannedReplies.DataPlanes() },
        { ["dataplanes", "web", "--json"], CannedReplies.DataPlanes() },
        { ["plan", "web", "--version", "v2", "--json"], CannedReplies.Plan("v2") },
    };

    [Theory]
    [MemberData(nameof(ReadCommands))]
    public async Task Json_output_parses_back_to_the_reply(string[] args, IMessage expected)
    {
        await using var server = await TestOrchestratorServer.StartAsync();

        var result = await BatonCli.RunAsync(server, args);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        var parsed = JsonParser.Default.Parse(result.Stdout, expected.Descriptor);
        Assert.Equal(expected, parsed);
    }
}
