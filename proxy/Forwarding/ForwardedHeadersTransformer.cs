using System.Net;
using System.Net.Sockets;
using Baton.Proxy.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// Copies the request as YARP's empty transformer does (Host and every end-to-end header unchanged),
/// then sets <c>x-forwarded-for</c> and <c>x-forwarded-proto</c> as Envoy's HTTP connection manager does
/// for the listener's <see cref="ForwardedHeadersConfig"/>. Only the outgoing request is changed, so an
/// attempt retried on another endpoint starts again from the client's headers and appends once.
/// </summary>
internal sealed class ForwardedHeadersTransformer : HttpTransformer
{
    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedProto = "X-Forwarded-Proto";

    // Every config reduces to two switches, so four instances serve every listener: an update allocates
    // none and a request reads two fields.
    private static readonly ForwardedHeadersTransformer[] Shared =
    [
        new(appendClient: false, replaceProto: false),
        new(appendClient: false, replaceProto: true),
        new(appendClient: true, replaceProto: false),
        new(appendClient: true, replaceProto: true),
    ];

    private readonly bool _appendClient;
    private readonly bool _replaceProto;

    private ForwardedHeadersTransformer(bool appendClient, bool replaceProto)
    {
        _appendClient = appendClient;
        _replaceProto = replaceProto;
    }

    public static ForwardedHeadersTransformer For(ForwardedHeadersConfig config)
    {
        var appendClient = config.UseRemoteAddress && !config.SkipXffAppend;
        // At the edge the client could claim https over a plain connection; its word is taken only when
        // a trusted proxy in front of this one is what set the header.
        var replaceProto = config.UseRemoteAddress && config.XffNumTrustedHops == 0;
        return Shared[(appendClient ? 2 : 0) + (replaceProto ? 1 : 0)];
    }

    public override ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        var copy = base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        if (!copy.IsCompletedSuccessfully)
        {
            return SetAfterCopyAsync(copy, httpContext, proxyRequest);
        }
        // YARP's copy is synchronous: finishing here spares every request an async state machine.
        copy.GetAwaiter().GetResult();
        SetForwardedHeaders(httpContext, proxyRequest);
        return default;
    }

    private async ValueTask SetAfterCopyAsync(ValueTask copy, HttpContext httpContext, HttpRequestMessage proxyRequest)
    {
        await copy;
        SetForwardedHeaders(httpContext, proxyRequest);
    }

    private void SetForwardedHeaders(HttpContext httpContext, HttpRequestMessage proxyRequest)
    {
        var incoming = httpContext.Request.Headers;
        var outgoing = proxyRequest.Headers;
        if (_appendClient && httpContext.Connection.RemoteIpAddress is { } peer)
        {
            var client = ClientAddress(peer);
            var previous = incoming[ForwardedFor];
            if (StringValues.IsNullOrEmpty(previous))
            {
                outgoing.TryAddWithoutValidation(ForwardedFor, client);
            }
            else
            {
                // A proxy in front of this one: its list goes on with the peer last, in one header joined
                // with a bare comma as Envoy writes it (StringValues joins several header lines the same way).
                outgoing.Remove(ForwardedFor);
                outgoing.TryAddWithoutValidation(ForwardedFor, string.Concat(previous.ToString(), ",", client));
            }
        }
        if (incoming[ForwardedProto].Count == 0)
        {
            outgoing.TryAddWithoutValidation(ForwardedProto, httpContext.Request.Scheme);
        }
        else if (_replaceProto)
        {
            outgoing.Remove(ForwardedProto);
            outgoing.TryAddWithoutValidation(ForwardedProto, httpContext.Request.Scheme);
        }
    }

    /// <summary>
    /// The peer as Envoy writes it: an IPv4 client on a dual-stack socket as plain IPv4. IPAddress caches
    /// its text, and a connection keeps one address object, so this allocates once per connection.
    /// </summary>
    private static string ClientAddress(IPAddress peer) =>
        peer.AddressFamily == AddressFamily.InterNetworkV6 && peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4().ToString() : peer.ToString();
}
