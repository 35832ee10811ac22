using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Tests.Probes;

/// <summary>Starts a Kestrel app on 127.0.0.1 with a free port, disposing it if starting fails.</summary>
internal static class TestKestrel
{
    public static async Task<(WebApplication App, int Port)> StartAsync(
        Action<WebApplicationBuilder> configure, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configure(builder);
        var app = builder.Build();
        try
        {
            map(app);
            await app.StartAsync();
            return (app, new Uri(app.Urls.Single()).Port);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// HTTP/1.1 server answering every path with <see cref="Status"/>, or with the next code of a
/// script when one is queued; counts requests and responses by status.
/// </summary>
internal sealed class HttpTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script = new();
    private readonly ConcurrentDictionary<int, int> _byStatus = new();
    private readonly ConcurrentQueue<string> _targets = new();
    private int _requests;
    private volatile int _status = 200;

    private HttpTestServer(WebApplication app, int port) => (_app, Port) = (app, port);

    public int Port { get; }
    public int Status { get => _status; set => _status = value; }
    public int Requests => Volatile.Read(ref _requests);
    public IReadOnlyCollection<string> Targets => _targets;

    /// <summary>A hook run before the status is sent; it may answer itself and return true.</summary>
    public Func<HttpContext, Task<bool>>? Intercept { get; set; }

    public int CountOf(int status) => _byStatus.GetValueOrDefault(status);

    public void Script(params int[] statuses)
    {
        foreach (var s in statuses) _script.Enqueue(s);
    }

    public static async Task<HttpTestServer> StartAsync()
    {
        HttpTestServer? server = null;
        var (app, port) = await TestKestrel.StartAsync(_ => { }, app => app.Run(ctx => server!.HandleAsync(ctx)));
        server = new HttpTestServer(app, port);
        return server;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        _targets.Enqueue(ctx.Request.Path + ctx.Request.QueryString);
        if (Intercept is { } intercept && await intercept(ctx))
        {
            Interlocked.Increment(ref _requests);
            return;
        }
        var status = _script.TryDequeue(out var scripted) ? scripted : _status;
        // Counted before answering, so a callback triggered by this answer sees it counted.
        _byStatus.AddOrUpdate(status, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _requests);
        ctx.Response.StatusCode = status;
        if (status is >= 300 and < 400) ctx.Response.Headers.Location = "/";
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>gRPC server (HTTP/2 only, plain text) serving grpc.health.v1 from a HealthServiceImpl the test drives.</summary>
internal sealed class GrpcHealthTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private GrpcHealthTestServer(WebApplication app, int port, HealthServiceImpl health) =>
        (_app, Port, Health) = (app, port, health);

    public int Port { get; }
    public HealthServiceImpl Health { get; }
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<GrpcHealthTestServer> StartAsync(bool mapHealthService = true)
    {
        var health = new HealthServiceImpl();
        GrpcHealthTestServer? server = null;
        var (app, port) = await TestKestrel.StartAsync(
            builder =>
            {
                builder.WebHost.ConfigureKestrel(k =>
                    k.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2));
                builder.Services.AddGrpc();
                builder.Services.AddSingleton(health);
            },
            app =>
            {
                app.Use(async (ctx, next) =>
                {
                    Interlocked.Increment(ref server!._requests);
                    await next(ctx);
                });
                if (mapHealthService) app.MapGrpcService<HealthServiceImpl>();
            });
        server = new GrpcHealthTestServer(app, port, health);
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>Accepts TCP connections and never sends a byte: the app that hangs.</summary>
internal sealed class SilentTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _accepted = [];
    private readonly Task _acceptLoop;

    public SilentTcpServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public int Port { get; }
    public int Accepted => _accepted.Count;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
                _accepted.Add(await _listener.AcceptSocketAsync(_stop.Token));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposal ends the loop.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _acceptLoop;
        _listener.Stop();
        foreach (var socket in _accepted) socket.Dispose();
        _stop.Dispose();
    }
}

internal static class Ports
{
    /// <summary>A port nothing listens on (it was free a moment ago), so connecting is refused.</summary>
    public static int Refused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
