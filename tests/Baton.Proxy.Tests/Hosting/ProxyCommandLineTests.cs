using Baton.Proxy.Host;
using Baton.Proxy.Hosting;

namespace Baton.Proxy.Tests.Hosting;

/// <summary>`baton-proxy`'s flags: what they set, and one line plus exit code 2 for anything malformed.</summary>
public sealed class ProxyCommandLineTests
{
    private static async Task<(int ExitCode, ProxyOptions? Options, string Error)> RunAsync(params string[] args)
    {
        ProxyOptions? received = null;
        var error = new StringWriter();
        var exitCode = await ProxyCommandLine.InvokeAsync(args, (options, _) =>
        {
            received = options;
            return Task.FromResult(0);
        }, output: new StringWriter(), error: error);
        return (exitCode, received, error.ToString());
    }

    [Fact]
    public async Task Flags_set_the_options()
    {
        var (exitCode, options, error) = await RunAsync(
            "--xds", "http://127.0.0.1:18001", "--node", "edge-1", "--apps", "web,api", "--listen-address", "127.0.0.1");

        Assert.True(exitCode == 0, error);
        Assert.NotNull(options);
        Assert.Equal(new Uri("http://127.0.0.1:18001"), options.XdsServer);
        Assert.Equal("edge-1", options.NodeId);
        Assert.Equal(["web", "api"], options.Apps);
        Assert.Equal("127.0.0.1", options.ListenAddressOverride);
    }

    [Fact]
    public async Task Without_flags_the_proxy_fronts_every_app_of_a_local_orchestrator()
    {
        var (exitCode, options, _) = await RunAsync();
        Assert.Equal(0, exitCode);
        Assert.NotNull(options);
        Assert.Equal(new Uri("http://127.0.0.1:18000"), options.XdsServer);
        Assert.Empty(options.Apps);
        Assert.Null(options.ListenAddressOverride);
    }

    [Fact]
    public async Task Host_and_port_alone_are_taken_as_an_http_address()
    {
        var (_, options, _) = await RunAsync("--xds", "10.1.2.3:18000");
        Assert.Equal(new Uri("http://10.1.2.3:18000"), options!.XdsServer);
    }

    [Theory]
    [InlineData("--xds", "http://127.0.0.1", "xDS server 'http://127.0.0.1' must be http://HOST:PORT")]
    [InlineData("--xds", "grpc://127.0.0.1:18000", "xDS server 'grpc://127.0.0.1:18000' must be http://HOST:PORT")]
    [InlineData("--xds", "http://127.0.0.1:18000/xds", "must be http://HOST:PORT")]
    [InlineData("--listen-address", "localhost", "listen address 'localhost' is not an IP address")]
    [InlineData("--no-such-flag", "x", "Unrecognized command or argument '--no-such-flag'")]
    public async Task Malformed_input_is_one_line_and_exit_code_2_before_anything_starts(string flag, string value, string expected)
    {
        var (exitCode, options, error) = await RunAsync(flag, value);

        Assert.Equal(2, exitCode);
        Assert.Null(options);
        Assert.StartsWith("baton-proxy: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
