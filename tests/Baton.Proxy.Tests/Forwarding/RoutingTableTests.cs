using Baton.Proxy.Configuration;
using Baton.Proxy.Forwarding;
using static Baton.Proxy.Tests.Support.TestConfigs;

namespace Baton.Proxy.Tests.Forwarding;

public sealed class RoutingTableTests
{
    private static readonly RoutingTable Table = new(new RouteTable("routes",
    [
        new VirtualHostConfig("any", ["*"], [Route("any", "/", ("c", 1))]),
        new VirtualHostConfig("prefix", ["api.*"], [Route("prefix", "/", ("c", 1))]),
        new VirtualHostConfig("short-suffix", ["*.example.com"], [Route("short-suffix", "/", ("c", 1))]),
        new VirtualHostConfig("long-suffix", ["*.api.example.com"], [Route("long-suffix", "/", ("c", 1))]),
        new VirtualHostConfig("exact", ["api.example.com", "[::1]"],
        [
            new RouteConfig("exact-path", "", "/health", [new WeightedClusterChoice("c", 1)], null, null),
            Route("exact", "/v1/", ("c", 1)),
        ]),
    ]), new Dictionary<string, ClusterRuntime>(), ForwardedHeadersTransformer.For(ForwardedHeadersConfig.EnvoyDefault));

    [Theory]
    [InlineData("api.example.com", "/v1/x", "exact")]
    [InlineData("API.Example.COM:443", "/v1/x", "exact")]
    [InlineData("[::1]:8080", "/v1/x", "exact")]
    [InlineData("api.example.com", "/health", "exact-path")]
    [InlineData("v2.api.example.com", "/", "long-suffix")]
    [InlineData("www.example.com", "/", "short-suffix")]
    [InlineData("api.internal", "/", "prefix")]
    [InlineData("example.com", "/", "any")]
    [InlineData(null, "/", "any")]
    public void Finds_the_virtual_host_as_envoy_does(string? host, string path, string expectedRoute)
    {
        Assert.Equal(expectedRoute, Table.Match(host, path)?.Name);
    }

    [Theory]
    [InlineData("api.example.com", "/health/deep")]
    [InlineData("api.example.com", "/v2/x")]
    public void A_matched_virtual_host_without_a_matching_route_gives_no_route(string host, string path)
    {
        Assert.Null(Table.Match(host, path));
    }
}
