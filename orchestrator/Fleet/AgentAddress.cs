using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// An agent's gRPC endpoint as host:port (a DNS name, an IPv4 address or a bracketed IPv6
/// address). Schemes and paths are refused: whether the channel uses TLS is the orchestrator's
/// configuration, not something an inventory entry may choose.
/// </summary>
public readonly record struct AgentAddress(string Host, int Port)
{
    public static bool TryParse(string? text, out AgentAddress address)
    {
        address = default;
        if (string.IsNullOrEmpty(text) || text.Length > 300) return false;

        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':') return false;
            host = text[1..close];
            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6) return false;
            host = $"[{host}]";
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':') != colon) return false;
            host = text[..colon];
            portText = text[(colon + 1)..];
            var kind = Uri.CheckHostName(host);
            if (kind is not (UriHostNameType.Dns or UriHostNameType.IPv4)) return false;
        }

        if (portText.Length is 0 or > 5 || !portText.All(char.IsAsciiDigit)) return false;
        var port = int.Parse(portText, NumberStyles.None, CultureInfo.InvariantCulture);
        if (port is < 1 or > 65535) return false;
        address = new AgentAddress(host, port);
        return true;
    }

    /// <summary>Parses <paramref name="text"/> or throws InvalidArgument naming the field and the expected form.</summary>
    public static AgentAddress Parse(string? text, string field = "address")
    {
        if (TryParse(text, out var address)) return address;
        throw new RpcException(new Status(StatusCode.InvalidArgument,
            $"{field} {NameValidator.Show(text)} is not host:port (a host name, an IPv4 address or [IPv6], and a port 1-65535, no scheme)"));
    }

    public Uri ToUri(bool useTls) => new($"{(useTls ? "https" : "http")}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}");

    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
