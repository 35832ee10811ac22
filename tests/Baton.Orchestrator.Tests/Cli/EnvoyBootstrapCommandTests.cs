using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Orchestrator.Cli;
using Baton.Orchestrator.Tests.Conformance;
using Baton.Orchestrator.Xds;
using Envoy.Config.Core.V3;
using Google.Protobuf;
using YamlDotNet.RepresentationModel;

namespace Baton.Orchestrator.Tests.Cli;

/// <summary>
/// `baton envoy bootstrap`: no Envoy runs here, so the YAML is checked three ways: its structure, every key
/// path against upstream's Bootstrap message (tests/conformance/check-envoy-fields.js), and the parts Baton
/// has protos for parsed strictly into them (the node, as the xDS server reads it).
/// </summary>
public sealed class EnvoyBootstrapCommandTests
{
    private static readonly string[] UpstreamFiles =
    [
        "envoy/config/bootstrap/v3/bootstrap.proto",
        // The Any in the xDS cluster's typed_extension_protocol_options.
        "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
    ];

    [Fact]
    public void BootstrapConnectsEnvoyToBatonOverAdsWithLoadReports()
    {
        var bootstrap = RenderAsJson(new EnvoyBootstrapOptions("edge-1", "127.0.0.1", 18000, ["web", "api"]));

        Assert.Equal("edge-1", (string?)bootstrap["node"]!["id"]);
        Assert.Equal("web,api", (string?)bootstrap["node"]!["cluster"]);
        Assert.Equal(["web", "api"], bootstrap["node"]!["metadata"]!["baton.apps"]!.AsArray().Select(a => (string?)a));

        foreach (var source in new[] { bootstrap["dynamic_resources"]!["ads_config"]!, bootstrap["cluster_manager"]!["load_stats_config"]! })
        {
            Assert.Equal("GRPC", (string?)source["api_type"]);
            Assert.Equal("V3", (string?)source["transport_api_version"]);
            Assert.Equal(EnvoyBootstrapCommand.XdsClusterName, (string?)source["grpc_services"]![0]!["envoy_grpc"]!["cluster_name"]);
        }
        foreach (var key in new[] { "lds_config", "cds_config" })
        {
            var source = bootstrap["dynamic_resources"]![key]!;
            Assert.Empty(source["ads"]!.AsObject());
            Assert.Equal("V3", (string?)source["resource_api_version"]);
        }

        var cluster = bootstrap["static_resources"]!["clusters"]!.AsArray().Single()!;
        Assert.Equal(EnvoyBootstrapCommand.XdsClusterName, (string?)cluster["name"]);
        Assert.Equal("STATIC", (string?)cluster["type"]);
        var http2 = cluster["typed_extension_protocol_options"]!["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]!;
        Assert.Equal("type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions", (string?)http2["@type"]);
        Assert.NotNull(http2["explicit_http_config"]!["http2_protocol_options"]);
        var xds = cluster["load_assignment"]!["endpoints"]![0]!["lb_endpoints"]![0]!["endpoint"]!["address"]!["socket_address"]!;
        Assert.Equal("127.0.0.1", (string?)xds["address"]);
        Assert.Equal(18000L, (long)xds["port_value"]!);

        var admin = bootstrap["admin"]!["address"]!["socket_address"]!;
        Assert.Equal("127.0.0.1", (string?)admin["address"]);
        Assert.Equal(9901L, (long)admin["port_value"]!);
    }

    [Theory]
    [InlineData("127.0.0.1:18000", new[] { "web", "api" })]
    [InlineData("baton.internal:18000", new string[0])]
    [InlineData("[::1]:18000", new[] { "web" })]
    public async Task EveryKeyPathIsAFieldOfUpstreamsBootstrap(string xds, string[] apps)
    {
        var args = new List<string> { "--node", "edge-1", "--xds", xds };
        args.AddRange(apps.SelectMany(a => new[] { "--app", a }));
        var bootstrap = RenderAsJson(EnvoyBootstrapCommand.Parse(args));

        var answer = await CheckAgainstUpstreamAsync(bootstrap);

        Assert.Empty(answer.Problems);
        // The walk really went down to the leaves, through the Any of the HTTP/2 options too.
        Assert.Contains("dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name", answer.Checked);
        Assert.Contains("static_resources.clusters[0].typed_extension_protocol_options[envoy.extensions.upstreams.http.v3.HttpProtocolOptions].explicit_http_config.http2_protocol_options", answer.Checked);
        Assert.Contains("cluster_manager.load_stats_config.api_type", answer.Checked);
    }

    [Fact]
    public async Task TheFieldCheckCatchesWhatEnvoyWouldRefuse()
    {
        // The check itself must fail on real mistakes, or an empty problem list proves nothing.
        var bootstrap = RenderAsJson(new EnvoyBootstrapOptions("edge-1", "127.0.0.1", 18000, ["web"]));
        bootstrap["dynamic_resources"]!["ads_config"]!["api_typ"] = "GRPC";
        bootstrap["dynamic_resources"]!["lds_config"]!["resource_api_version"] = "V4";
        bootstrap["dynamic_resources"]!["cds_config"]!["path"] = "/etc/cds.yaml";
        bootstrap["static_resources"]!["clusters"]![0]!["connect_timeout"] = 5;

        var answer = await CheckAgainstUpstreamAsync(bootstrap);

        Assert.Contains(answer.Problems, p => p.StartsWith("dynamic_resources.ads_config.api_typ:", StringComparison.Ordinal));
        Assert.Contains(answer.Problems, p => p.StartsWith("dynamic_resources.lds_config.resource_api_version:", StringComparison.Ordinal));
        Assert.Contains(answer.Problems, p => p.Contains("oneof config_source_specifier", StringComparison.Ordinal));
        Assert.Contains(answer.Problems, p => p.StartsWith("static_resources.clusters[0].connect_timeout:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("web,api")]
    [InlineData("")]
    public void NodeParsesIntoEnvoysNodeAndShowsTheNamedApps(string appList)
    {
        var apps = appList.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var bootstrap = RenderAsJson(new EnvoyBootstrapOptions("edge-1", "127.0.0.1", 18000, apps));

        // Strict: a field Baton's Node does not know fails the parse.
        var node = new JsonParser(JsonParser.Settings.Default).Parse<Node>(bootstrap["node"]!.ToJsonString());
        var view = NodeView.For(node);

        Assert.Equal("edge-1", node.Id);
        if (apps.Length == 0)
        {
            Assert.Null(view.Apps);
        }
        else
        {
            Assert.Equal(apps.Order(StringComparer.Ordinal), view.Apps!.Order(StringComparer.Ordinal));
            Assert.False(view.Includes("other"));
        }
    }

    [Theory]
    [InlineData(new[] { "--xds", "127.0.0.1:18000" }, "--node")]
    [InlineData(new[] { "--node", "edge-1" }, "--xds")]
    [InlineData(new[] { "--node", "edge-1", "--xds", "127.0.0.1" }, "HOST:PORT")]
    [InlineData(new[] { "--node", "edge-1", "--xds", "127.0.0.1:70000" }, "not a port")]
    [InlineData(new[] { "--node", "edge-1", "--xds", "::1:18000" }, "brackets")]
    [InlineData(new[] { "--node", "edge-1", "--xds", "127.0.0.1:18000", "--app", "Web/1" }, "app name")]
    [InlineData(new[] { "--node", "edge-1", "--xds", "127.0.0.1:18000", "--verbose" }, "--verbose")]
    public void BadArgumentsExitWithUsage(string[] args, string expected)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = EnvoyBootstrapCommand.Run(args, output, error);

        Assert.Equal(2, exit);
        Assert.Empty(output.ToString());
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(EnvoyBootstrapCommand.Usage, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RunPrintsTheBootstrapYaml()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = EnvoyBootstrapCommand.Run(["--node", "edge-1", "--xds", "127.0.0.1:18000", "--app", "web"], output, error);

        Assert.Equal(0, exit);
        Assert.Empty(error.ToString());
        Assert.Equal(EnvoyBootstrapCommand.Render(new EnvoyBootstrapOptions("edge-1", "127.0.0.1", 18000, ["web"])), output.ToString());
    }

    private static JsonObject RenderAsJson(EnvoyBootstrapOptions options)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(EnvoyBootstrapCommand.Render(options)));
        return ToJson(stream.Documents.Single().RootNode)!.AsObject();
    }

    /// <summary>
    /// YAML to JSON as Envoy reads it: plain scalars that look like numbers or booleans are numbers and
    /// booleans, quoted ones stay strings.
    /// </summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(p =>
            KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => number,
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } scalar => scalar.Value == "true",
        YamlScalarNode scalar => scalar.Value,
        _ => throw new InvalidDataException($"unexpected YAML node {node.NodeType}"),
    };

    private sealed record FieldCheck(IReadOnlyList<string> Checked, IReadOnlyList<string> Problems);

    private static async Task<FieldCheck> CheckAgainstUpstreamAsync(JsonObject document)
    {
        var request = new JsonObject
        {
            ["type"] = "envoy.config.bootstrap.v3.Bootstrap",
            ["files"] = new JsonArray(UpstreamFiles.Select(f => (JsonNode)f).ToArray()),
            ["document"] = document.DeepClone(),
        };
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(XdsClientProcess.ConformanceDirectory, "check-envoy-fields.js"));
        using var process = Process.Start(start)!;
        try
        {
            await process.StandardInput.WriteAsync(request.ToJsonString());
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(guard.Token);
            Assert.True(process.ExitCode == 0, $"check-envoy-fields.js exited {process.ExitCode}: {await stderr}");
            return JsonSerializer.Deserialize<FieldCheck>(await stdout, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
