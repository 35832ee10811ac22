using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Baton.Agent.Configuration;

/// <summary>
/// A parsed listen address: an IP literal (IPv6 in brackets), "localhost", or "*" for every
/// interface, then ":port". Host names other than localhost are refused because Kestrel would
/// have to resolve them, and what they resolve to can change under the agent's feet, which
/// makes "is this loopback?" unanswerable.
/// </summary>
public sealed record ListenAddress
{
    private ListenAddress(string host, IPAddress? address, int port)
    {
        Host = host;
        Address = address;
        Port = port;
    }

    /// <summary>The host as written ("127.0.0.1", "::1", "localhost", "*").</summary>
    public string Host { get; }

    /// <summary>The IP to bind, or null for "localhost" (both loopbacks) and "*" (every interface).</summary>
    public IPAddress? Address { get; }

    /// <summary>0 means the OS picks a free port.</summary>
    public int Port { get; }

    public bool IsLocalhost => Host == "localhost";

    public bool IsAnyAddress => Host == "*"
        || (Address is not null && (Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any)));

    /// <summary>True when only this machine can connect: 127.0.0.0/8, ::1 or localhost.</summary>
    public bool IsLoopback => IsLocalhost || (Address is not null && IPAddress.IsLoopback(Address));

    public override string ToString() =>
        Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 }
            ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string? text, [NotNullWhen(true)] out ListenAddress? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        const string Expected = "expected HOST:PORT with HOST an IP address, [IPv6] in brackets, localhost or *, e.g. 127.0.0.1:7070";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; " + Expected;
            return false;
        }

        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not a valid address; {Expected}";
                return false;
            }
            host = text[1..close];
            portText = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            // A second colon without brackets is an IPv6 literal whose port cannot be told apart.
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' is not a valid address; {Expected}";
                return false;
            }
            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{text}' has an invalid port '{portText}'; the port must be a number from 0 to 65535";
            return false;
        }

        if (host == "*" || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            host = host.ToLowerInvariant();
            if (host == "localhost" && port == 0)
            {
                // Kestrel cannot bind port 0 on both loopbacks at once (they would get different ports).
                error = $"'{text}' cannot use port 0 with localhost; use 127.0.0.1:0 or [::1]:0";
                return false;
            }
            result = new ListenAddress(host, null, port);
            error = null;
            return true;
        }

        // IPAddress.TryParse also takes shorthand such as "1" (= 0.0.0.1) or "127.1"; only the
        // canonical dotted quad is accepted so that what the operator reads is what gets bound.
        if (!IPAddress.TryParse(host, out var address)
            || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) != text.StartsWith('[')
            || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.ToString() != host))
        {
            error = $"'{text}' is not a valid address: '{host}' is not an IP address (host names other than localhost are not accepted); {Expected}";
            return false;
        }

        result = new ListenAddress(address.ToString(), address, port);
        error = null;
        return true;
    }

    /// <summary>Parses or throws <see cref="AgentConfigurationException"/> naming <paramref name="setting"/>.</summary>
    public static ListenAddress Parse(string? text, string setting) =>
        TryParse(text, out var result, out var error) ? result : throw new AgentConfigurationException($"{setting}: {error}");

    /// <summary>Whether both could accept connections on the same port, so binding both would collide.</summary>
    public bool Overlaps(ListenAddress other)
    {
        if (Port == 0 || other.Port == 0 || Port != other.Port) return false;
        if (IsAnyAddress || other.IsAnyAddress) return true;
        if (IsLocalhost || other.IsLocalhost) return IsLoopback && other.IsLoopback
            && (IsLocalhost && other.IsLocalhost || IsLoopbackOfLocalhost(this) || IsLoopbackOfLocalhost(other));
        return Address!.Equals(other.Address);

        static bool IsLoopbackOfLocalhost(ListenAddress a) =>
            a.Address is not null && (a.Address.Equals(IPAddress.Loopback) || a.Address.Equals(IPAddress.IPv6Loopback));
    }
}
