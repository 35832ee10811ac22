using System.Net;
using Baton.Agent.Configuration;
using Baton.Agent.Security;
using Baton.Protos.Agent.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Agent.Tests.Security;

public sealed class TlsListenerTests : IAsyncLifetime
{
    private const string Token = "tls-test-token";
    private readonly TempDirectory _dir = new();
    private TestPki _pki = null!;

    public Task InitializeAsync()
    {
        _pki = TestPki.Create(_dir);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private AgentOptions Options(bool token = false, bool mutual = false) => new()
    {
        Listen = "127.0.0.1:0",
        MetricsListen = "127.0.0.1:0",
        DataDir = _dir.Path,
        TokenFile = token ? _dir.Write("token", Token) : null,
        CertificateFile = _pki.ServerCertFile,
        CertificateKeyFile = _pki.ServerKeyFile,
        ClientCaFile = mutual ? _pki.CaCertFile : null,
    };

    private SocketsHttpHandler Handler(System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null, bool trustServer = true)
    {
        var handler = new SocketsHttpHandler();
        if (trustServer) handler.SslOptions.RemoteCertificateValidationCallback = TestPki.Trust(_pki.ServerCertificate);
        if (clientCertificate is not null) handler.SslOptions.ClientCertificates = [clientCertificate];
        return handler;
    }

    [Fact]
    public async Task ServesGrpcOverTlsToAClientTrustingTheCertificate()
    {
        await using var server = await AgentTestServer.StartAsync(Options(token: true));
        Assert.Equal("https", server.GrpcAddress.Scheme);
        using var channel = server.Channel(Handler());
        var client = new AgentService.AgentServiceClient(channel);

        var response = await client.ListInstancesAsync(new(), AgentTestServer.Bearer(Token));
        Assert.Empty(response.Instances);

        var e = await Assert.ThrowsAsync<RpcException>(() => client.ListInstancesAsync(new()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.True((await client.GetHealthAsync(new())).Serving);
    }

    [Fact]
    public async Task AClientThatDoesNotTrustTheCertificateCannotConnect()
    {
        await using var server = await AgentTestServer.StartAsync(Options(token: true));
        using var channel = server.Channel(Handler(trustServer: false));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            new AgentService.AgentServiceClient(channel).ListInstancesAsync(new(), AgentTestServer.Bearer(Token)).ResponseAsync);
        // Grpc.Net.Client reports the failed certificate check as Internal (an AuthenticationException inside).
        Assert.Contains(e.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Equal(0, server.Calls.Calls);
    }

    [Fact]
    public async Task MetricsOverTlsWithHttp11()
    {
        await using var server = await AgentTestServer.StartAsync(Options(token: true));
        using var http = new HttpClient(Handler());
        using var refused = await http.SendAsync(AgentTestServer.MetricsRequest(server.MetricsAddress!, null));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var ok = await http.SendAsync(AgentTestServer.MetricsRequest(server.MetricsAddress!, Token));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("baton_agent_instances", await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MutualTlsAcceptsAClientCertificateFromTheConfiguredCa()
    {
        await using var server = await AgentTestServer.StartAsync(Options(mutual: true));
        using var channel = server.Channel(Handler(_pki.ClientCertificate));
        // Without a token configured the verified certificate is the credential.
        var response = await new AgentService.AgentServiceClient(channel).ListInstancesAsync(new());
        Assert.Empty(response.Instances);

        using var http = new HttpClient(Handler(_pki.ClientCertificate));
        using var metrics = await http.SendAsync(AgentTestServer.MetricsRequest(server.MetricsAddress!, null));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task MutualTlsRefusesAClientWithoutCertificate()
    {
        await using var server = await AgentTestServer.StartAsync(Options(mutual: true));
        await AssertRefusedAtHandshake(server, Handler());
    }

    [Fact]
    public async Task MutualTlsRefusesACertificateFromAnotherCa()
    {
        await using var server = await AgentTestServer.StartAsync(Options(mutual: true));
        await AssertRefusedAtHandshake(server, Handler(_pki.ForeignClientCertificate));
    }

    [Fact]
    public async Task MutualTlsRefusesACertificateNotMeantForClients()
    {
        await using var server = await AgentTestServer.StartAsync(Options(mutual: true));
        await AssertRefusedAtHandshake(server, Handler(_pki.ServerOnlyClientCertificate));
    }

    [Fact]
    public async Task MutualTlsWithATokenNeedsBoth()
    {
        await using var server = await AgentTestServer.StartAsync(Options(token: true, mutual: true));
        using var channel = server.Channel(Handler(_pki.ClientCertificate));
        var client = new AgentService.AgentServiceClient(channel);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.ListInstancesAsync(new()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Empty((await client.ListInstancesAsync(new(), AgentTestServer.Bearer(Token))).Instances);
        await AssertRefusedAtHandshake(server, Handler(_pki.ForeignClientCertificate), Token);
    }

    private static async Task AssertRefusedAtHandshake(AgentTestServer server, SocketsHttpHandler handler, string? token = null)
    {
        using var channel = server.Channel(handler);
        var client = new AgentService.AgentServiceClient(channel);
        var headers = token is null ? null : AgentTestServer.Bearer(token);
        var callsBefore = server.Calls.Calls;
        // The TLS handshake fails, so no call (not even the exempt health call) reaches a service.
        var e = await Assert.ThrowsAsync<RpcException>(() => client.ListInstancesAsync(new(), headers).ResponseAsync);
        Assert.NotEqual(StatusCode.Unauthenticated, e.StatusCode);
        await Assert.ThrowsAsync<RpcException>(() => client.GetHealthAsync(new(), headers).ResponseAsync);
        Assert.Equal(callsBefore, server.Calls.Calls);
    }
}

public sealed class OpenLoopbackAndListenerTests
{
    [Fact]
    public async Task LoopbackWithoutCredentialsIsOpen()
    {
        using var dir = new TempDirectory();
        await using var server = await AgentTestServer.StartAsync(new AgentOptions
        {
            Listen = "127.0.0.1:0", MetricsListen = "127.0.0.1:0", DataDir = dir.Path,
        });
        using var channel = server.Channel();
        Assert.Empty((await new AgentService.AgentServiceClient(channel).ListInstancesAsync(new())).Instances);
        using var http = new HttpClient();
        using var metrics = await http.SendAsync(AgentTestServer.MetricsRequest(server.MetricsAddress!, null));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task MetricsListenerCanBeOff()
    {
        using var dir = new TempDirectory();
        await using var server = await AgentTestServer.StartAsync(new AgentOptions { Listen = "127.0.0.1:0", MetricsListen = null, DataDir = dir.Path });
        Assert.Null(server.MetricsAddress);
    }

    [Theory]
    [InlineData("0.0.0.0:7070", null)]
    [InlineData("127.0.0.1:7070", "0.0.0.0:7071")]
    public void ListenerSetupRefusesNonLoopbackWithoutAuthenticationEvenUnvalidated(string listen, string? metrics)
    {
        var kestrel = new KestrelServerOptions();
        var e = Assert.Throws<AgentConfigurationException>(() =>
            kestrel.ConfigureAgentListener(new AgentOptions { Listen = listen, MetricsListen = metrics }));
        Assert.Contains("no authentication is configured", e.Message);
    }

    [Fact]
    public void ListenerSetupRefusesClientCaWithoutCertificate()
    {
        using var dir = new TempDirectory();
        var pki = TestPki.Create(dir);
        var e = Assert.Throws<AgentConfigurationException>(() =>
            new KestrelServerOptions().ConfigureAgentListener(new AgentOptions { ClientCaFile = pki.CaCertFile }));
        Assert.Contains("require tls.certificate", e.Message);
    }

    [Fact]
    public void TokenNeverShowsInToString()
    {
        var token = BearerToken.FromToken("super-secret");
        Assert.DoesNotContain("super-secret", token.ToString());
        Assert.True(token.Matches("super-secret"));
        Assert.False(token.Matches("super-secre"));
    }
}
