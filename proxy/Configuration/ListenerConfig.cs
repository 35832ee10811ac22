namespace Baton.Proxy.Configuration;

/// <summary>
/// A socket listener (Envoy's Listener with an HTTP connection manager): where the proxy accepts
/// connections, which HTTP versions it speaks there, the route table (RDS) it routes by, and the
/// forwarded headers it adds.
/// </summary>
/// <param name="Name">The xDS resource name, e.g. <c>web/listener</c>.</param>
/// <param name="Host">The address to bind, as served (or as overridden by the proxy's options).</param>
/// <param name="Port">The port to bind.</param>
/// <param name="Codec">HttpConnectionManager.codec_type: which HTTP versions downstream clients may speak.</param>
/// <param name="Routes">The RouteConfiguration named by the listener's RDS config.</param>
/// <param name="ForwardedHeaders">What the connection manager tells the app about its client.</param>
public sealed record ListenerConfig(
    string Name, string Host, int Port, DownstreamCodec Codec, RouteTable Routes, ForwardedHeadersConfig ForwardedHeaders);

/// <summary>HttpConnectionManager.CodecType. Without TLS, Auto means HTTP/1.1 (no ALPN to choose HTTP/2).</summary>
public enum DownstreamCodec
{
    Auto,
    Http1,
    Http2,
}
