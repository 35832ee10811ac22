using Baton.Orchestrator.Tests.Fleet.Support;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Tests.Fleet;

/// <summary>An agent started with --token-file: the fleet reaches it with the token and is refused without it.</summary>
public sealed class AgentTokenTests : IAsyncLifetime
{
    private const string Token = "fleet-test-token-0f3a9c";
    private RealAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await RealAgent.StartAsync(token: Token);

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task WithTheTokenEveryCallWorks()
    {
        await using var fleet = await FleetUnderTest.StartAsync(token: Token);
        await fleet.AddAsync("secure", _agent.Address);
        await fleet.WaitForHealthAsync("secure", AgentHealth.Reachable);

        Assert.Empty(await fleet.Operations.ListInstancesAsync("secure"));
        Assert.Empty((await fleet.Operations.ListAllInstancesAsync()).Unreachable);
        Assert.Empty(Assert.Single(fleet.Registry.List()).Error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task WithoutTheTokenCallsAreRefusedAndTheAgentShowsWhy(string? token)
    {
        await using var fleet = await FleetUnderTest.StartAsync(token: token);
        await fleet.AddAsync("secure", _agent.Address);
        // GetHealth needs no credentials: the agent is reachable, but nothing else works.
        await fleet.WaitForHealthAsync("secure", AgentHealth.Reachable);

        var refused = await Assert.ThrowsAsync<RpcException>(() => fleet.Operations.ListInstancesAsync("secure"));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("\"secure\"", refused.Status.Detail);
        Assert.Contains("credentials", refused.Status.Detail);

        var all = await fleet.Operations.ListAllInstancesAsync();
        Assert.Contains("credentials", all.Unreachable["secure"]);
        await Eventually.TrueAsync(() => Assert.Single(fleet.Registry.List()).Error.Contains("Unauthenticated"), "the event stream's refusal shown on the agent");
        Assert.DoesNotContain(Token, _agent.Output.ToString());
    }
}
