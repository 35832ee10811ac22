using Baton.Proxy.Configuration;
using Baton.Proxy.Xds;
using Google.Protobuf;

namespace Baton.Proxy.Tests.Xds;

public sealed class HttpProtocolOptionsReaderTests
{
    [Theory]
    [InlineData(new byte[] { 0x1A, 0x02, 0x12, 0x00 }, UpstreamProtocol.Http2)] // explicit_http_config { http2_protocol_options {} }, as the orchestrator serves
    [InlineData(new byte[] { 0x1A, 0x02, 0x0A, 0x00 }, UpstreamProtocol.Http1)] // explicit_http_config { http_protocol_options {} }
    [InlineData(new byte[] { 0x0A, 0x00, 0x1A, 0x02, 0x12, 0x00 }, UpstreamProtocol.Http2)] // common options first are skipped
    [InlineData(new byte[0], UpstreamProtocol.Http1)]
    public void Reads_the_upstream_http_version(byte[] options, UpstreamProtocol expected)
    {
        Assert.True(HttpProtocolOptionsReader.TryRead(ByteString.CopyFrom(options), out var protocol, out var error));
        Assert.Null(error);
        Assert.Equal(expected, protocol);
    }

    [Theory]
    [InlineData(new byte[] { 0x22, 0x00 }, "use_downstream_protocol_config is not supported")]
    [InlineData(new byte[] { 0x2A, 0x00 }, "auto_config is not supported")]
    [InlineData(new byte[] { 0x1A, 0x05, 0x12 }, "cannot be decoded")]
    public void Refuses_what_it_cannot_honour(byte[] options, string expected)
    {
        Assert.False(HttpProtocolOptionsReader.TryRead(ByteString.CopyFrom(options), out _, out var error));
        Assert.Contains(expected, error);
    }
}
