using System.Collections.Frozen;
using Baton.Proxy.Configuration;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// A listener's route table compiled for one config snapshot: virtual hosts found by the request's
/// host as Envoy finds them (exact domain, then the longest <c>*suffix</c>, then the longest
/// <c>prefix*</c>, then <c>*</c>; case-insensitive; the port is stripped first), then the first route
/// whose path matches. It also carries the listener's forwarded-headers behaviour, so the one read a
/// request makes of its listener gives it routes and headers of the same config. Immutable: a listener
/// swaps in a new table whole.
/// </summary>
internal sealed class RoutingTable
{
    private readonly FrozenDictionary<string, CompiledRoute[]> _exact;
    private readonly FrozenDictionary<string, CompiledRoute[]>.AlternateLookup<ReadOnlySpan<char>> _exactBySpan;
    private readonly (string Suffix, CompiledRoute[] Routes)[] _suffixes;
    private readonly (string Prefix, CompiledRoute[] Routes)[] _prefixes;
    private readonly CompiledRoute[]? _any;

    public RoutingTable(RouteTable table, IReadOnlyDictionary<string, ClusterRuntime> clusters, ForwardedHeadersTransformer requestTransformer)
    {
        Name = table.Name;
        RequestTransformer = requestTransformer;
        var exact = new Dictionary<string, CompiledRoute[]>(StringComparer.OrdinalIgnoreCase);
        var suffixes = new List<(string, CompiledRoute[])>();
        var prefixes = new List<(string, CompiledRoute[])>();
        foreach (var virtualHost in table.VirtualHosts)
        {
            var routes = new CompiledRoute[virtualHost.Routes.Count];
            for (var i = 0; i < routes.Length; i++)
            {
                routes[i] = new CompiledRoute(virtualHost.Routes[i], clusters);
            }
            foreach (var domain in virtualHost.Domains)
            {
                // Envoy rejects a domain listed twice in one route table; here the first listing wins.
                if (domain == "*")
                {
                    _any ??= routes;
                }
                else if (domain.StartsWith('*'))
                {
                    suffixes.Add((domain[1..], routes));
                }
                else if (domain.EndsWith('*'))
                {
                    prefixes.Add((domain[..^1], routes));
                }
                else
                {
                    exact.TryAdd(domain, routes);
                }
            }
        }
        _exact = exact.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _exactBySpan = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        // Longest first: the most specific wildcard wins.
        _suffixes = [.. suffixes.OrderByDescending(s => s.Item1.Length)];
        _prefixes = [.. prefixes.OrderByDescending(p => p.Item1.Length)];
    }

    public string Name { get; }

    /// <summary>How YARP writes each forwarded request: the client's headers plus the listener's x-forwarded-* ones.</summary>
    public ForwardedHeadersTransformer RequestTransformer { get; }

    /// <summary>The first matching route of the virtual host that answers <paramref name="hostHeader"/>, or null.</summary>
    public CompiledRoute? Match(string? hostHeader, string path)
    {
        var routes = FindVirtualHost(StripPort(hostHeader));
        if (routes is null)
        {
            return null;
        }
        foreach (var route in routes)
        {
            if (route.Matches(path))
            {
                return route;
            }
        }
        return null;
    }

    private CompiledRoute[]? FindVirtualHost(ReadOnlySpan<char> host)
    {
        if (_exactBySpan.TryGetValue(host, out var exact))
        {
            return exact;
        }
        // A wildcard stands for at least one character: "*.example.com" does not answer "example.com".
        foreach (var (suffix, routes) in _suffixes)
        {
            if (host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return routes;
            }
        }
        foreach (var (prefix, routes) in _prefixes)
        {
            if (host.Length > prefix.Length && host.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return routes;
            }
        }
        return _any;
    }

    /// <summary>The host without its port: <c>a.example:8080</c> → <c>a.example</c>, <c>[::1]:80</c> → <c>[::1]</c>.</summary>
    internal static ReadOnlySpan<char> StripPort(string? hostHeader)
    {
        var host = hostHeader.AsSpan();
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            return close < 0 ? host : host[..(close + 1)];
        }
        var colon = host.LastIndexOf(':');
        return colon < 0 ? host : host[..colon];
    }
}
