using System.Net;
using Baton.Proxy.Configuration;
using Baton.Proxy.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// One xDS listener: its own Kestrel server bound to one address, routing every request through the
/// <see cref="RoutingTable"/> it currently holds.
/// </summary>
/// <remarks>
/// One Kestrel server per listener rather than one server with endpoints changed at run time: Kestrel
/// can only change endpoints by reloading its whole configuration, which reports a bind failure in a
/// log rather than to the caller and restarts every endpoint. A server of its own lets ApplyAsync see
/// a bind failure as an exception it can NACK with, and lets a removed listener drain and stop while
/// the others keep serving untouched.
/// </remarks>
internal sealed class ListenerHost
{
    private readonly WebApplication _app;
    private volatile RoutingTable _routing;

    private ListenerHost(WebApplication app, string name, IPEndPoint endpoint, DownstreamCodec codec, RoutingTable routing)
    {
        _app = app;
        Name = name;
        Endpoint = endpoint;
        Codec = codec;
        _routing = routing;
    }

    /// <summary>The xDS listener's name, for logs and errors; it may be renamed by an update on the same address.</summary>
    public string Name { get; set; }

    public IPEndPoint Endpoint { get; }

    public DownstreamCodec Codec { get; }

    /// <summary>The routing every new request reads once: a config update swaps it whole.</summary>
    public RoutingTable Routing
    {
        get => _routing;
        set => _routing = value;
    }

    /// <summary>Binds and starts serving; throws (an <see cref="IOException"/> when the port is taken) if it cannot.</summary>
    public static async Task<ListenerHost> StartAsync(
        string name, IPEndPoint endpoint, DownstreamCodec codec, RoutingTable routing,
        ProxyRequestHandler handler, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelCore();
        // With inline socket completions, Kestrel may run each request on the epoll thread that read
        // it rather than queueing it once more: the request path never blocks (see InlineSocketIo).
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = InlineSocketIo.Enabled);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The app behind the proxy decides what it accepts; a slow streaming client is bounded by
            // the forwarder's idle timeout, not by a minimum upload rate.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Listen(endpoint, listen => listen.Protocols = KestrelProtocols(codec));
        });
        var app = builder.Build();
        var host = new ListenerHost(app, name, endpoint, codec, routing);
        app.Run(context => handler.HandleAsync(context, host));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return host;
    }

    /// <summary>
    /// Kestrel's protocols for a codec. Auto is HTTP/1.1: Kestrel's Http1AndHttp2 on a cleartext
    /// endpoint has no ALPN to choose HTTP/2 and does not look for the HTTP/2 preface, so it serves
    /// HTTP/1.1 only (and logs a warning saying so); saying Http1 keeps that behaviour without the
    /// warning. gRPC apps' listeners are served with codec HTTP2, which is h2c with prior knowledge.
    /// </summary>
    internal static HttpProtocols KestrelProtocols(DownstreamCodec codec) => codec switch
    {
        DownstreamCodec.Http2 => HttpProtocols.Http2,
        _ => HttpProtocols.Http1,
    };

    /// <summary>
    /// Stops accepting connections at once (the port is free when Kestrel has unbound), lets requests
    /// in flight finish for up to <paramref name="drainTimeout"/>, then aborts what is left.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        using (var drain = new CancellationTokenSource(drainTimeout))
        {
            await _app.StopAsync(drain.Token);
        }
        await _app.DisposeAsync();
    }
}
