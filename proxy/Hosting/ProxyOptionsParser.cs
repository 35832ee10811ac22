using System.Net;

namespace Baton.Proxy.Hosting;

/// <summary>
/// Turns the text an operator typed (flags, or the agent's proxy settings) into
/// <see cref="ProxyOptions"/>, with a message naming the bad value.
/// </summary>
public static class ProxyOptionsParser
{
    /// <exception cref="ArgumentException">A value is malformed; the message says which and why.</exception>
    public static ProxyOptions Parse(string? xdsServer, string? nodeId, string? apps, string? listenAddress)
    {
        var options = new ProxyOptions();
        if (!string.IsNullOrWhiteSpace(xdsServer)) options.XdsServer = ParseXdsServer(xdsServer.Trim());
        if (!string.IsNullOrWhiteSpace(nodeId)) options.NodeId = nodeId.Trim();
        if (!string.IsNullOrWhiteSpace(apps))
        {
            options.Apps = apps.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        if (!string.IsNullOrWhiteSpace(listenAddress))
        {
            if (!IPAddress.TryParse(listenAddress.Trim(), out _))
                throw new ArgumentException($"listen address '{listenAddress}' is not an IP address (e.g. 127.0.0.1 or ::1)");
            options.ListenAddressOverride = listenAddress.Trim();
        }
        return options;
    }

    private static Uri ParseXdsServer(string text)
    {
        // HOST:PORT alone is what `baton envoy bootstrap --xds` takes; accept it here too.
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.IsDefaultPort || uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"xDS server '{text}' must be http://HOST:PORT (or https://HOST:PORT), e.g. http://127.0.0.1:18000");
        }
        return uri;
    }
}
