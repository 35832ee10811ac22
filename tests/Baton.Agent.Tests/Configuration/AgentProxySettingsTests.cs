using Baton.Agent.Configuration;

namespace Baton.Agent.Tests.Configuration;

/// <summary>`baton-agent --proxy`: the built-in baton-proxy's settings, from each source, and their validation.</summary>
public sealed class AgentProxySettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static AgentConfigurationLoader Loader(Dictionary<string, string?>? env = null) =>
        new(env ?? new Dictionary<string, string?>(), "/srv/work");

    [Fact]
    public void Without_the_proxy_setting_no_proxy_runs()
    {
        var options = Loader().Load();
        Assert.Null(options.BuildProxyOptions());
        Assert.Empty(AgentOptionsValidator.Validate(options).Errors);
    }

    [Fact]
    public void Flags_configure_the_proxy_and_the_node_id_defaults_to_the_agents_host()
    {
        var options = Loader().Load(flags: new Dictionary<string, string>
        {
            ["proxy.xds"] = "127.0.0.1:18000",
            ["proxy.apps"] = "web, api",
            ["proxy.listen_address"] = "127.0.0.1",
        });

        var proxy = options.BuildProxyOptions();

        Assert.NotNull(proxy);
        Assert.Equal(new Uri("http://127.0.0.1:18000"), proxy.XdsServer);
        Assert.Equal(["web", "api"], proxy.Apps);
        Assert.Equal("127.0.0.1", proxy.ListenAddressOverride);
        Assert.Equal($"baton-agent-proxy-{Environment.MachineName}", proxy.NodeId);
        Assert.Empty(AgentOptionsValidator.Validate(options).Errors);
    }

    [Fact]
    public void The_yaml_proxy_section_is_read_and_the_environment_overrides_it()
    {
        var file = _dir.Write("agent.yaml", """
            proxy:
              xds: http://10.0.0.5:18000
              node: edge-1
              apps: [ignored-as-a-list-is-not-a-value]
            """);
        var error = Assert.Throws<AgentConfigurationException>(() => Loader().Load(file));
        Assert.Contains("line 4: proxy.apps must be a single value", error.Message, StringComparison.Ordinal);

        file = _dir.Write("agent2.yaml", """
            proxy:
              xds: http://10.0.0.5:18000
              node: edge-1
              apps: web
            """);
        var options = Loader(new Dictionary<string, string?> { ["BATON_AGENT_PROXY_NODE"] = "edge-2" }).Load(file);
        var proxy = options.BuildProxyOptions()!;
        Assert.Equal(new Uri("http://10.0.0.5:18000"), proxy.XdsServer);
        Assert.Equal("edge-2", proxy.NodeId);
        Assert.Equal(["web"], proxy.Apps);
    }

    [Fact]
    public void A_proxy_section_that_is_not_a_mapping_names_its_keys()
    {
        var file = _dir.Write("agent.yaml", "proxy: http://127.0.0.1:18000\n");
        var error = Assert.Throws<AgentConfigurationException>(() => Loader().Load(file));
        Assert.Contains("line 1: proxy must be a mapping with xds, node, apps, listen_address", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:18000", null, "proxy: xDS server 'ftp://127.0.0.1:18000' must be http://HOST:PORT")]
    [InlineData("http://127.0.0.1", null, "proxy: xDS server 'http://127.0.0.1' must be http://HOST:PORT")]
    [InlineData("http://127.0.0.1:18000", "localhost", "proxy: listen address 'localhost' is not an IP address")]
    public void Malformed_proxy_settings_refuse_the_start_with_the_reason(string xds, string? listenAddress, string expected)
    {
        var flags = new Dictionary<string, string> { ["proxy.xds"] = xds };
        if (listenAddress is not null) flags["proxy.listen_address"] = listenAddress;
        var options = Loader().Load(flags: flags);

        var errors = AgentOptionsValidator.Validate(options).Errors;

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Proxy_details_without_the_xds_server_are_an_error_not_silently_ignored()
    {
        var options = Loader().Load(flags: new Dictionary<string, string> { ["proxy.apps"] = "web" });
        var errors = AgentOptionsValidator.Validate(options).Errors;
        Assert.Contains(errors, e => e.Contains("proxy settings are given but proxy.xds is not", StringComparison.Ordinal));
    }
}
