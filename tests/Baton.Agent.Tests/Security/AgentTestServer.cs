using System.Net;
using Baton.Agent.Configuration;
using Baton.Agent.Metrics;
using Baton.Agent.Security;
using Baton.Protos.Agent.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Tests.Security;

/// <summary>Counts the calls that reached the service, to prove refused calls never did.</summary>
internal sealed class CallLog
{
    private int _calls;
    public int Calls => Volatile.Read(ref _calls);
    public void Record() => Interlocked.Increment(ref _calls);
}

/// <summary>Just enough of AgentService to tell a protected call from an exempt one.</summary>
internal sealed class TestAgentService(CallLog log) : AgentService.AgentServiceBase
{
    public override Task<ListInstancesResponse> ListInstances(ListInstancesRequest request, ServerCallContext context)
    {
        log.Record();
        return Task.FromResult(new ListInstancesResponse());
    }

    public override Task<GetHealthResponse> GetHealth(GetHealthRequest request, ServerCallContext context)
    {
        log.Record();
        return Task.FromResult(new GetHealthResponse { Serving = true, AgentVersion = "test" });
    }
}

/// <summary>
/// A real Kestrel server wired exactly as the agent's Program is meant to wire it: the agent's
/// listener setup, authentication middleware, gRPC services, grpc.health.v1, and /metrics.
/// </summary>
internal sealed class AgentTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AgentTestServer(WebApplication app, Uri grpcAddress, Uri? metricsAddress)
    {
        _app = app;
        GrpcAddress = grpcAddress;
        MetricsAddress = metricsAddress;
    }

    public Uri GrpcAddress { get; }
    public Uri? MetricsAddress { get; }
    public CallLog Calls => _app.Services.GetRequiredService<CallLog>();
    public AgentMetrics Metrics => _app.Services.GetRequiredService<AgentMetrics>();

    public static async Task<AgentTestServer> StartAsync(AgentOptions options)
    {
        AgentOptionsValidator.ThrowIfInvalid(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ConfigureAgentListener(options));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<CallLog>();
        builder.Services.AddSingleton<HealthServiceImpl>();
        builder.Services.AddAgentAuthentication(options);
        builder.Services.AddAgentMetrics();

        var app = builder.Build();
        app.UseAgentAuthentication();
        app.MapGrpcService<TestAgentService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapAgentMetrics();
        app.Services.GetRequiredService<HealthServiceImpl>().SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);

        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        // Kestrel reports bound addresses in the order the listeners were added: gRPC, then metrics.
        var urls = app.Urls.Select(u => new Uri(u)).ToList();
        return new AgentTestServer(app, urls[0], urls.Count > 1 ? urls[1] : null);
    }

    /// <summary>A channel to the gRPC endpoint through <paramref name="handler"/> (TLS settings, client certificates).</summary>
    public GrpcChannel Channel(SocketsHttpHandler? handler = null) =>
        GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions { HttpHandler = handler ?? new SocketsHttpHandler() });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    public static HttpRequestMessage MetricsRequest(Uri address, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/metrics")) { Version = HttpVersion.Version11 };
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        return request;
    }
}
