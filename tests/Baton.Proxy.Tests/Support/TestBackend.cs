using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.Tests.Support;

/// <summary>
/// A small HTTP app on 127.0.0.1 (kernel-chosen port) that the proxy forwards to. It answers every
/// path with its own name, except <c>/echo</c> (name:body), <c>/headers</c> (the request headers it received,
/// as JSON), <c>/slow</c> (held until the test releases it) and <c>/status/NNN</c>.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _slowEntered;
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public int Port { get; private set; }

    /// <summary>Requests this backend has received (all paths).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How many <c>/slow</c> requests have arrived and are being held (or were).</summary>
    public int SlowEntered => Volatile.Read(ref _slowEntered);

    /// <summary>The HTTP version the last request came in with.</summary>
    public string? LastProtocol { get; private set; }

    public static async Task<TestBackend> StartAsync(string name, HttpProtocols protocols = HttpProtocols.Http1)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = protocols));
        var app = builder.Build();
        var backend = new TestBackend(name, app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        backend.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        return backend;
    }

    /// <summary>Lets every held <c>/slow</c> request answer.</summary>
    public void ReleaseSlow() => _release.TrySetResult();

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        LastProtocol = context.Request.Protocol;
        context.Response.Headers["x-backend"] = Name;
        var path = context.Request.Path.Value ?? "/";
        if (path == "/slow")
        {
            Interlocked.Increment(ref _slowEntered);
            await _release.Task.WaitAsync(context.RequestAborted);
        }
        else if (path == "/echo")
        {
            using var reader = new StreamReader(context.Request.Body);
            await context.Response.WriteAsync($"{Name}:{await reader.ReadToEndAsync()}");
            return;
        }
        else if (path == "/headers")
        {
            await context.Response.WriteAsync(ReceivedHeaders.Serialize(context.Request.Headers));
            return;
        }
        else if (path.StartsWith("/status/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = int.Parse(path["/status/".Length..]);
        }
        await context.Response.WriteAsync(Name);
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        using (var stopGuard = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopGuard.Token);
        }
        await _app.DisposeAsync();
    }
}
