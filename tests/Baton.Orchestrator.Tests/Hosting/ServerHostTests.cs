using Microsoft.AspNetCore.Builder;
using System.Net;
using System.Net.Sockets;
using Baton.Orchestrator.Hosting;
using Baton.Orchestrator.Store;
using Baton.Orchestrator.Tests.Support;
using Baton.Protos.Orchestrator.V1;
using Envoy.Config.Core.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Baton.Orchestrator.Tests.Hosting;

/// <summary>`baton server` as wired for real: the API behind its token, xDS beside it, metrics on their own port.</summary>
public sealed class ServerHostTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("baton-server-").FullName;
    private readonly string _tokenFile = Path.GetTempFileName();
    private IBatonStore _store = null!;
    private WebApplication _app = null!;
    private ServerOptions _options = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_tokenFile, "api-token-for-tests\n");
        _options = new ServerOptions(Loopback(), Loopback(), _dataDir, _tokenFile, null, Loopback());
        _store = await SqliteStore.OpenAsync(_dataDir);
        _app = ServerHost.Build(_options, _store);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
        File.Delete(_tokenFile);
    }

    private Protos.Orchestrator.V1.Orchestrator.OrchestratorClient Api(GrpcChannel channel) => new(channel);

    [Fact]
    public async Task TheApiRequiresTheTokenAndAnswersWithIt()
    {
        using var channel = GrpcChannel.ForAddress($"http://{_options.Listen}");

        var refused = await Assert.ThrowsAsync<RpcException>(() => Api(channel).ListAppsAsync(new ListAppsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);

        var apps = await Api(channel).ListAppsAsync(new ListAppsRequest(), new Grpc.Core.Metadata { { "authorization", "Bearer api-token-for-tests" } });
        Assert.Empty(apps.Apps);
    }

    [Fact]
    public async Task TheXdsEndpointDoesNotServeTheApi()
    {
        using var channel = GrpcChannel.ForAddress($"http://{_options.XdsListen}");

        var e = await Assert.ThrowsAsync<RpcException>(() => Api(channel).ListAppsAsync(new ListAppsRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task MetricsShowTheXdsServersInstruments()
    {
        using var channel = GrpcChannel.ForAddress($"http://{_options.XdsListen}");
        await using var envoy = await SotwDataPlane.EnvoyAsync(channel, new Node { Id = "envoy-metrics", Cluster = "*" });
        using var http = new HttpClient();

        // The meter adapter publishes what instruments recorded on its own cadence: poll until it has.
        var text = "";
        for (var i = 0; i < 100 && !text.Contains("baton_xds_pushes", StringComparison.Ordinal); i++)
        {
            text = await http.GetStringAsync($"http://{_options.MetricsListen}/metrics");
            await Task.Delay(100);
        }

        Assert.True(text.Contains("baton_xds_streams", StringComparison.Ordinal), text);
        Assert.Contains("baton_xds_pushes", text);
    }

    private static IPEndPoint Loopback()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return (IPEndPoint)l.LocalEndpoint;
    }
}
