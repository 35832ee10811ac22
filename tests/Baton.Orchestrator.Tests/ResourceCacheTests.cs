using Baton.Orchestrator.Tests.Support;
using Baton.Orchestrator.Xds;

namespace Baton.Orchestrator.Tests;

public sealed class ResourceCacheTests
{
    private static SnapshotCache NewCache() => new(new AppResourceBuilder(new XdsOptions()));

    [Fact]
    public void Unchanged_resources_keep_their_serialized_instance_and_generation()
    {
        var cache = NewCache();
        var first = cache.SetApp(Apps.Http("web", 8080, ("v1", 100), ("v2", 0)));
        var second = cache.SetApp(Apps.Http("web", 8080, ("v1", 80), ("v2", 20)));

        var before = first.Apps["web"];
        var after = second.Apps["web"];
        Assert.Same(before.Of(XdsTypeUrls.Cluster)["web/v1"], after.Of(XdsTypeUrls.Cluster)["web/v1"]);
        Assert.Same(before.Of(XdsTypeUrls.Endpoint)["web/v2"], after.Of(XdsTypeUrls.Endpoint)["web/v2"]);
        Assert.Same(before.Of(XdsTypeUrls.Listener)["web/listener"], after.Of(XdsTypeUrls.Listener)["web/listener"]);
        var oldRoute = before.Of(XdsTypeUrls.Route)["web/routes"];
        var newRoute = after.Of(XdsTypeUrls.Route)["web/routes"];
        Assert.NotEqual(oldRoute.Version, newRoute.Version);
        Assert.True(newRoute.Generation > oldRoute.Generation);
        Assert.Equal(["web/v1"], oldRoute.References);
        Assert.Equal(["web/v1", "web/v2"], newRoute.References.Order());
    }

    [Fact]
    public void Removing_an_unknown_app_changes_nothing()
    {
        var cache = NewCache();
        cache.SetApp(Apps.Http("web", 8080, ("v1", 100)));
        var generation = cache.Current.Generation;

        Assert.Null(cache.RemoveApp("other"));
        Assert.Equal(generation, cache.Current.Generation);
    }

    [Theory]
    [InlineData("Web", "v1", 100u, "127.0.0.1", 9000, "app name 'Web' is invalid")]
    [InlineData("web", "v/1", 100u, "127.0.0.1", 9000, "release version 'v/1' is invalid")]
    [InlineData("web", "v1", 0u, "127.0.0.1", 9000, "at least one release needs a positive weight")]
    [InlineData("web", "v1", 100u, "host.example", 9000, "endpoint host 'host.example' is not an IP address")]
    [InlineData("web", "v1", 100u, "127.0.0.1", 70000, "port 70000 is outside 1-65535")]
    public void Invalid_routing_is_rejected_with_a_precise_message(string app, string version, uint weight, string host, int port, string message)
    {
        var cache = NewCache();
        var routing = new AppRouting(app, AppProtocol.Http, 8080,
            [new ReleaseRouting(version, weight, [new EndpointRouting(host, port, EndpointHealth.Healthy)])]);

        var error = Assert.Throws<ArgumentException>(() => cache.SetApp(routing));

        Assert.Contains(message, error.Message);
        Assert.Empty(cache.Current.Apps);
    }

    [Fact]
    public void Duplicate_release_and_http_app_without_port_are_rejected()
    {
        var cache = NewCache();

        Assert.Contains("release 'v1' is listed twice",
            Assert.Throws<ArgumentException>(() => cache.SetApp(Apps.Http("web", 8080, ("v1", 50), ("v1", 50)))).Message);
        Assert.Contains("an http app needs a public port",
            Assert.Throws<ArgumentException>(() => cache.SetApp(Apps.Http("web", 8080, ("v1", 100)) with { PublicPort = null })).Message);
    }
}
