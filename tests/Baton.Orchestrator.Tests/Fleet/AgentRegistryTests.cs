using Baton.Orchestrator.Fleet;
using Baton.Orchestrator.Tests.Fleet.Support;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Tests.Fleet;

/// <summary>The inventory: validation at the edge, the status codes, persistence through the store seam.</summary>
public sealed class AgentRegistryTests
{
    [Theory]
    [InlineData("")]
    [InlineData("Web-1")]
    [InlineData("-edge")]
    [InlineData(".hidden")]
    [InlineData("host_1")]
    [InlineData("a b")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public async Task BadNameIsInvalidArgument(string name)
    {
        await using var fleet = await FleetUnderTest.StartAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => fleet.AddAsync(name, "127.0.0.1:7070"));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("name", error.Status.Detail);
        Assert.Empty(fleet.Registry.List());
    }

    [Theory]
    [InlineData("")]
    [InlineData("host")]
    [InlineData("host:")]
    [InlineData(":7070")]
    [InlineData("http://host:7070")]
    [InlineData("host:7070/path")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:+80")]
    [InlineData("::1:7070")]
    [InlineData("[::1]")]
    [InlineData("[not-ip]:7070")]
    [InlineData("bad host:7070")]
    public async Task BadAddressIsInvalidArgument(string address)
    {
        await using var fleet = await FleetUnderTest.StartAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => fleet.AddAsync("a1", address));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("address", error.Status.Detail);
    }

    [Theory]
    [InlineData("127.0.0.1:7070")]
    [InlineData("agent-1.example.internal:7070")]
    [InlineData("[::1]:7070")]
    [InlineData("localhost:65535")]
    public void GoodAddressesParse(string address)
    {
        Assert.True(AgentAddress.TryParse(address, out var parsed));
        Assert.Equal(address, parsed.ToString());
    }

    [Fact]
    public async Task BadLabelIsInvalidArgument()
    {
        await using var fleet = await FleetUnderTest.StartAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => fleet.AddAsync("a1", "127.0.0.1:7070", new Dictionary<string, string> { ["bad key"] = "x" }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("label key", error.Status.Detail);
    }

    [Fact]
    public async Task DuplicateNameOrAddressIsAlreadyExists()
    {
        await using var fleet = await FleetUnderTest.StartAsync();
        await fleet.AddAsync("a1", $"127.0.0.1:{LoopbackPorts.Ephemeral()}");
        var sameName = await Assert.ThrowsAsync<RpcException>(() => fleet.AddAsync("a1", "127.0.0.1:1"));
        Assert.Equal(StatusCode.AlreadyExists, sameName.StatusCode);
        Assert.Contains("\"a1\"", sameName.Status.Detail);

        var address = fleet.Registry.Get("a1").Address.ToString();
        var sameAddress = await Assert.ThrowsAsync<RpcException>(() => fleet.AddAsync("a2", address));
        Assert.Equal(StatusCode.AlreadyExists, sameAddress.StatusCode);
        Assert.Single(fleet.Registry.List());
    }

    [Fact]
    public async Task UnknownAgentIsNotFound()
    {
        await using var fleet = await FleetUnderTest.StartAsync();
        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => fleet.Registry.Get("nope")).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => fleet.Registry.RemoveAsync("nope", CancellationToken.None))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => fleet.Operations.ListInstancesAsync("nope"))).StatusCode);
    }

    [Fact]
    public async Task InventoryPersistsThroughTheStoreAndLoadsAgain()
    {
        var store = new InMemoryAgentInventoryStore();
        await using (var fleet = await FleetUnderTest.StartAsync(store: store))
        {
            await fleet.AddAsync("b-agent", $"127.0.0.1:{LoopbackPorts.Ephemeral()}", new Dictionary<string, string> { ["zone"] = "eu-1", ["disk"] = "ssd" });
            await fleet.AddAsync("a-agent", $"127.0.0.1:{LoopbackPorts.Ephemeral()}");
            await fleet.AddAsync("c-agent", $"127.0.0.1:{LoopbackPorts.Ephemeral()}");
            await fleet.Registry.RemoveAsync("c-agent", CancellationToken.None);
        }

        var stored = await store.LoadAsync(CancellationToken.None);
        Assert.Equal(["a-agent", "b-agent"], stored.Select(a => a.Name));

        await using var restarted = await FleetUnderTest.StartAsync(store: store);
        var agents = restarted.Registry.List();
        Assert.Equal(["a-agent", "b-agent"], agents.Select(a => a.Name));
        Assert.Equal("eu-1", agents[1].Labels["zone"]);
        Assert.Equal("ssd", agents[1].Labels["disk"]);
        Assert.Empty(agents[0].Labels);
    }

    [Fact]
    public async Task AgentNobodyListensForIsMarkedUnreachableWithTheError()
    {
        await using var fleet = await FleetUnderTest.StartAsync();
        await fleet.AddAsync("ghost", $"127.0.0.1:{LoopbackPorts.Ephemeral()}");
        await fleet.WaitForHealthAsync("ghost", AgentHealth.Unreachable);

        var agent = Assert.Single(fleet.Registry.List());
        Assert.Equal(AgentHealth.Unreachable, agent.Health);
        Assert.Contains("Unavailable", agent.Error);
        Assert.Null(agent.LastSeen);
        await fleet.Events.WaitForAsync(e => e.Agent == "ghost" && e.Kind == AgentEventKind.Unreachable, "ghost unreachable");
    }
}
