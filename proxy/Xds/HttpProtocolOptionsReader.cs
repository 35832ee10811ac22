using Baton.Proxy.Configuration;
using Google.Protobuf;

namespace Baton.Proxy.Xds;

/// <summary>
/// Reads the one thing the proxy needs from a cluster's
/// <c>envoy.extensions.upstreams.http.v3.HttpProtocolOptions</c>: which HTTP version to speak upstream.
/// Baton's proto subset does not declare that extension (nor its many dependencies), so the bytes are
/// walked with <see cref="CodedInputStream"/> by field number, as upstream defines them.
/// </summary>
public static class HttpProtocolOptionsReader
{
    public const string ExtensionName = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    public const string TypeUrl = "type.googleapis.com/" + ExtensionName;

    // HttpProtocolOptions
    private const int ExplicitHttpConfigField = 3;
    private const int UseDownstreamProtocolConfigField = 4;
    private const int AutoConfigField = 5;

    // HttpProtocolOptions.ExplicitHttpConfig (a oneof)
    private const int Http1ProtocolOptionsField = 1;
    private const int Http2ProtocolOptionsField = 2;
    private const int Http3ProtocolOptionsField = 3;

    /// <summary>
    /// The upstream protocol the options ask for: HTTP/1.1 unless explicit_http_config holds
    /// http2_protocol_options. Options other than explicit_http_config (idle timeouts, header limits)
    /// do not change where a request goes and are ignored.
    /// </summary>
    /// <param name="error">Why the options cannot be honoured: undecodable, HTTP/3, or a protocol chosen per request.</param>
    public static bool TryRead(ByteString options, out UpstreamProtocol protocol, out string? error)
    {
        protocol = UpstreamProtocol.Http1;
        error = null;
        try
        {
            var input = new CodedInputStream(options.ToByteArray());
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case ExplicitHttpConfigField when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                        if (!TryReadExplicit(input.ReadBytes(), ref protocol, out error)) return false;
                        break;
                    case UseDownstreamProtocolConfigField:
                        error = "use_downstream_protocol_config is not supported (only explicit_http_config)";
                        return false;
                    case AutoConfigField:
                        error = "auto_config is not supported (only explicit_http_config)";
                        return false;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
            return true;
        }
        catch (InvalidProtocolBufferException e)
        {
            error = $"cannot be decoded: {e.Message}";
            return false;
        }
    }

    private static bool TryReadExplicit(ByteString bytes, ref UpstreamProtocol protocol, out string? error)
    {
        error = null;
        var input = new CodedInputStream(bytes.ToByteArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case Http1ProtocolOptionsField:
                    protocol = UpstreamProtocol.Http1;
                    break;
                case Http2ProtocolOptionsField:
                    protocol = UpstreamProtocol.Http2;
                    break;
                case Http3ProtocolOptionsField:
                    error = "explicit_http_config asks for HTTP/3, which the proxy does not speak upstream";
                    return false;
            }
            input.SkipLastField();
        }
        return true;
    }
}
