using System.Net;
using Baton.Agent.Configuration;
using Baton.Agent.Metrics;
using Baton.Protos.Agent.V1;
using Grpc.Core;
using Grpc.Health.V1;

namespace Baton.Agent.Tests.Security;

/// <summary>One cleartext agent (h2c gRPC + HTTP/1.1 metrics) on 127.0.0.1 with a token, shared by the tests below.</summary>
public sealed class TokenServerFixture : IAsyncLifetime
{
    public const string Token = "9f86d081884c7d659a2feaa0c55ad015";
    private readonly TempDirectory _dir = new();
    internal AgentTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Surrounding whitespace and the trailing newline are not part of the token.
        var tokenFile = _dir.Write("token", "  " + Token + "\n");
        Server = await AgentTestServer.StartAsync(new AgentOptions
        {
            Listen = "127.0.0.1:0", MetricsListen = "127.0.0.1:0", TokenFile = tokenFile, DataDir = _dir.Path,
        });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

public sealed class BearerTokenAuthenticationTests(TokenServerFixture fixture) : IClassFixture<TokenServerFixture>
{
    private const string Token = TokenServerFixture.Token;
    private AgentTestServer Server => fixture.Server;

    private AgentService.AgentServiceClient Client() => new(Server.Channel());

    [Fact]
    public async Task ProtectedCallWithoutTokenIsUnauthenticated()
    {
        using var channel = Server.Channel();
        var e = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel).ListInstancesAsync(new()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("missing authorization", e.Status.Detail);
    }

    [Theory]
    [InlineData("Bearer wrong")]
    [InlineData("Bearer " + Token + "x")]
    [InlineData("Bearer " + "9f86d081884c7d659a2feaa0c55ad01")]
    [InlineData("Basic " + Token)]
    [InlineData(Token)]
    [InlineData("Bearer")]
    public async Task ProtectedCallWithWrongCredentialIsUnauthenticated(string header)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client().ListInstancesAsync(new(), new Metadata { { "authorization", header } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.DoesNotContain(Token, e.Status.Detail);
    }

    [Theory]
    [InlineData("Bearer ")]
    [InlineData("bearer ")]
    [InlineData("BEARER  ")]
    public async Task ProtectedCallWithTheTokenSucceeds(string scheme)
    {
        var response = await Client().ListInstancesAsync(new(), new Metadata { { "authorization", scheme + Token } });
        Assert.Empty(response.Instances);
    }

    [Fact]
    public async Task RefusedCallsNeverReachTheService()
    {
        using var channel = Server.Channel();
        var client = new AgentService.AgentServiceClient(channel);
        var before = Server.Calls.Calls;
        await Assert.ThrowsAsync<RpcException>(() => client.ListInstancesAsync(new(), AgentTestServer.Bearer("nope")).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => client.ListInstancesAsync(new()).ResponseAsync);
        // Other tests share the server, so compare against calls this test could not have made.
        await client.ListInstancesAsync(new(), AgentTestServer.Bearer(Token));
        Assert.True(Server.Calls.Calls > before);
    }

    [Fact]
    public async Task AgentGetHealthNeedsNoToken()
    {
        var response = await Client().GetHealthAsync(new());
        Assert.True(response.Serving);
    }

    [Fact]
    public async Task StandardHealthNeedsNoToken()
    {
        using var channel = Server.Channel();
        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task MetricsWithoutTokenIs401()
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(AgentTestServer.MetricsRequest(Server.MetricsAddress!, null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task MetricsWithWrongTokenIs401()
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(AgentTestServer.MetricsRequest(Server.MetricsAddress!, "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task MetricsWithTokenIsPrometheusText()
    {
        Server.Metrics.RecordRestart("web");
        Server.Metrics.RecordSpawn(TimeSpan.FromMilliseconds(12));
        Server.Metrics.SetInstanceCounts(new Dictionary<string, int> { ["ready"] = 3 });

        using var http = new HttpClient();
        using var response = await http.SendAsync(AgentTestServer.MetricsRequest(Server.MetricsAddress!, Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        var contentType = response.Content.Headers.ContentType!;
        Assert.Equal("text/plain", contentType.MediaType);
        Assert.Contains(contentType.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE baton_agent_instances gauge", text);
        Assert.Contains("baton_agent_instances{state=\"ready\"} 3", text);
        Assert.Contains("baton_agent_instances{state=\"crash_looping\"} 0", text);
        Assert.Contains("# TYPE baton_agent_restarts_total counter", text);
        Assert.Contains("baton_agent_restarts_total{app=\"web\"}", text);
        Assert.Contains("# TYPE baton_agent_spawn_seconds histogram", text);
        Assert.Contains("baton_agent_spawn_seconds_count", text);
        Assert.Contains("# TYPE baton_agent_probe_failures_total counter", text);
    }

    [Fact]
    public async Task GrpcEndpointIsHttp2Only()
    {
        // Documents the listener split: the cleartext gRPC endpoint does not speak HTTP/1.1.
        using var http = new HttpClient();
        using var request = AgentTestServer.MetricsRequest(Server.GrpcAddress, Token);
        using var response = await http.SendAsync(request);
        // Kestrel's own answer on an HTTP/2-only endpoint: 400 "An HTTP/1.x request was sent to an HTTP/2 only endpoint."
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("HTTP/2 only", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/baton.agent.v1.AgentService/GetHealth", true)]
    [InlineData("/grpc.health.v1.Health/Check", true)]
    [InlineData("/grpc.health.v1.Health/Watch", true)]
    [InlineData("/grpc.health.v1.Health/", false)]
    [InlineData("/grpc.health.v1.Health/Check/x", false)]
    [InlineData("/baton.agent.v1.AgentService/GetHealth/", false)]
    [InlineData("/baton.agent.v1.agentservice/gethealth", false)]
    [InlineData("/baton.agent.v1.AgentService/GetHealthX", false)]
    [InlineData("/baton.agent.v1.AgentService/ListInstances", false)]
    [InlineData("/metrics", false)]
    [InlineData("/", false)]
    public void OnlyTheHealthCallsAreExempt(string path, bool exempt) =>
        Assert.Equal(exempt, Baton.Agent.Security.AgentAuthenticationMiddleware.IsExempt(new Microsoft.AspNetCore.Http.PathString(path)));
}
