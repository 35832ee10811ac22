using System.Globalization;
using System.Net;
using Baton.Orchestrator.Xds;
using YamlDotNet.Serialization;

namespace Baton.Orchestrator.Cli;

/// <summary>What an Envoy bootstrap for Baton needs to know.</summary>
/// <param name="NodeId">Envoy's node id: how the xDS server and its monitor name this data plane.</param>
/// <param name="XdsHost">The orchestrator's xDS host: an IP address or a DNS name.</param>
/// <param name="XdsPort">The orchestrator's xDS port (`baton server --xds-listen`).</param>
/// <param name="Apps">Apps this Envoy fronts; empty means every app.</param>
/// <param name="AdminPort">Port of Envoy's admin interface, always bound to 127.0.0.1.</param>
public sealed record EnvoyBootstrapOptions(string NodeId, string XdsHost, int XdsPort, IReadOnlyList<string> Apps, int AdminPort = 9901);

/// <summary>
/// `baton envoy bootstrap --node NAME --xds HOST:PORT [--app APP ...] [--admin-port PORT]`: prints the bootstrap
/// YAML that makes an Envoy a Baton data plane. Self-contained (options record, renderer, thin argument
/// hook) so the CLI can move to System.CommandLine without touching the rendering.
/// </summary>
public static class EnvoyBootstrapCommand
{
    public const string Usage = "usage: baton envoy bootstrap --node NAME --xds HOST:PORT [--app APP ...] [--admin-port PORT]";

    /// <summary>The static cluster that carries ADS and LRS to the orchestrator.</summary>
    public const string XdsClusterName = "baton_xds";

    private const string Http2OptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <returns>The process exit code: 0, or 2 for a usage error (written to <paramref name="error"/>).</returns>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        EnvoyBootstrapOptions options;
        try
        {
            options = Parse(args);
        }
        catch (ArgumentException e)
        {
            error.WriteLine(e.Message);
            error.WriteLine(Usage);
            return 2;
        }
        output.Write(Render(options));
        return 0;
    }

    /// <exception cref="ArgumentException">With what is wrong with the arguments.</exception>
    public static EnvoyBootstrapOptions Parse(IReadOnlyList<string> args)
    {
        string? node = null;
        string? xds = null;
        var adminPort = 9901;
        var apps = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--node" when value is not null:
                    node = value;
                    break;
                case "--xds" when value is not null:
                    xds = value;
                    break;
                case "--app" when value is not null:
                    AppRoutingValidator.ValidateAppName(value);
                    apps.Add(value);
                    break;
                case "--admin-port" when value is not null:
                    adminPort = ParsePort(value, "--admin-port");
                    break;
                default:
                    throw new ArgumentException($"unknown or incomplete argument '{args[i]}'");
            }
            i++;
        }
        if (string.IsNullOrWhiteSpace(node) || node.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException("--node NAME is required and must not contain white space");
        }
        if (xds is null)
        {
            throw new ArgumentException("--xds HOST:PORT is required");
        }
        var (host, port) = ParseHostPort(xds);
        return new EnvoyBootstrapOptions(node, host, port, apps.Distinct(StringComparer.Ordinal).ToList(), adminPort);
    }

    /// <summary>The bootstrap as YAML, in the field names of envoy.config.bootstrap.v3.Bootstrap.</summary>
    public static string Render(EnvoyBootstrapOptions options)
    {
        var node = new Dictionary<string, object>
        {
            ["id"] = options.NodeId,
            // Envoy refuses CDS without a node cluster. Baton reads it as the apps the node sees ("*" = all),
            // and the metadata, when present, says the same as a list.
            ["cluster"] = options.Apps.Count == 0 ? "*" : string.Join(",", options.Apps),
        };
        if (options.Apps.Count > 0)
        {
            node["metadata"] = new Dictionary<string, object> { [NodeView.AppsMetadataKey] = options.Apps.ToList() };
        }

        var bootstrap = new Dictionary<string, object>
        {
            ["node"] = node,
            ["dynamic_resources"] = new Dictionary<string, object>
            {
                ["ads_config"] = XdsApiConfigSource(),
                ["lds_config"] = AdsConfigSource(),
                ["cds_config"] = AdsConfigSource(),
            },
            // Clusters ask for load reports (lrs_server: self); Envoy sends them where the bootstrap says.
            ["cluster_manager"] = new Dictionary<string, object> { ["load_stats_config"] = XdsApiConfigSource() },
            ["static_resources"] = new Dictionary<string, object> { ["clusters"] = new[] { XdsCluster(options) } },
            ["admin"] = new Dictionary<string, object>
            {
                // Loopback only: the admin interface has no authentication.
                ["address"] = SocketAddress("127.0.0.1", options.AdminPort),
            },
        };

        var yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build().Serialize(bootstrap);
        return $"# Envoy bootstrap for Baton node '{options.NodeId}', made by `baton envoy bootstrap`.\n{yaml}";
    }

    private static Dictionary<string, object> XdsApiConfigSource() => new()
    {
        ["api_type"] = "GRPC",
        ["transport_api_version"] = "V3",
        ["grpc_services"] = new[]
        {
            new Dictionary<string, object> { ["envoy_grpc"] = new Dictionary<string, object> { ["cluster_name"] = XdsClusterName } },
        },
        // The server keeps the node from the stream's first request.
        ["set_node_on_first_message_only"] = true,
    };

    private static Dictionary<string, object> AdsConfigSource() => new()
    {
        ["ads"] = new Dictionary<string, object>(),
        ["resource_api_version"] = "V3",
    };

    private static Dictionary<string, object> XdsCluster(EnvoyBootstrapOptions options) => new()
    {
        ["name"] = XdsClusterName,
        // An IP needs no resolution; a host name is resolved and followed when it changes.
        ["type"] = IPAddress.TryParse(options.XdsHost, out _) ? "STATIC" : "STRICT_DNS",
        ["connect_timeout"] = "5s",
        // xDS is gRPC: HTTP/2 to the orchestrator.
        ["typed_extension_protocol_options"] = new Dictionary<string, object>
        {
            [Http2OptionsKey] = new Dictionary<string, object>
            {
                ["@type"] = "type.googleapis.com/" + Http2OptionsKey,
                ["explicit_http_config"] = new Dictionary<string, object> { ["http2_protocol_options"] = new Dictionary<string, object>() },
            },
        },
        ["load_assignment"] = new Dictionary<string, object>
        {
            ["cluster_name"] = XdsClusterName,
            ["endpoints"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["lb_endpoints"] = new[]
                    {
                        new Dictionary<string, object> { ["endpoint"] = new Dictionary<string, object> { ["address"] = SocketAddress(options.XdsHost, options.XdsPort) } },
                    },
                },
            },
        },
    };

    private static Dictionary<string, object> SocketAddress(string address, int port) => new()
    {
        ["socket_address"] = new Dictionary<string, object> { ["address"] = address, ["port_value"] = port },
    };

    private static (string Host, int Port) ParseHostPort(string value)
    {
        // [v6]:port, or host:port with the port after the last colon.
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            throw new ArgumentException($"--xds '{value}' is not HOST:PORT");
        }
        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            throw new ArgumentException($"--xds '{value}': write an IPv6 address in brackets, as [::1]:18000");
        }
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c == '/'))
        {
            throw new ArgumentException($"--xds '{value}' has no usable host");
        }
        return (host, ParsePort(value[(colon + 1)..], "--xds"));
    }

    private static int ParsePort(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? port
            : throw new ArgumentException($"{option}: '{value}' is not a port (1-65535)");
}
