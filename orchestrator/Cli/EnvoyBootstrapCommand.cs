using System.Globalization;
using System.Net;
using Baton.Orchestrator.Xds;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

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
public static partial class EnvoyBootstrapCommand
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
    /// <remarks>
    /// Built as a YamlDotNet node tree and written through its emitter, without the reflection serializer,
    /// so `baton` can be a NativeAOT executable. Numbers and booleans are plain scalars; strings are quoted
    /// where a YAML reader would otherwise take them for a number, a boolean or null.
    /// </remarks>
    public static string Render(EnvoyBootstrapOptions options)
    {
        var node = new YamlMappingNode
        {
            { "id", Text(options.NodeId) },
            // Envoy refuses CDS without a node cluster. Baton reads it as the apps the node sees ("*" = all),
            // and the metadata, when present, says the same as a list.
            { "cluster", Text(options.Apps.Count == 0 ? "*" : string.Join(",", options.Apps)) },
        };
        if (options.Apps.Count > 0)
        {
            node.Add("metadata", new YamlMappingNode { { NodeView.AppsMetadataKey, new YamlSequenceNode(options.Apps.Select(Text)) } });
        }

        var bootstrap = new YamlMappingNode
        {
            { "node", node },
            {
                "dynamic_resources", new YamlMappingNode
                {
                    { "ads_config", XdsApiConfigSource() },
                    { "lds_config", AdsConfigSource() },
                    { "cds_config", AdsConfigSource() },
                }
            },
            // Clusters ask for load reports (lrs_server: self); Envoy sends them where the bootstrap says.
            { "cluster_manager", new YamlMappingNode { { "load_stats_config", XdsApiConfigSource() } } },
            { "static_resources", new YamlMappingNode { { "clusters", new YamlSequenceNode(XdsCluster(options)) } } },
            {
                "admin", new YamlMappingNode
                {
                    // Loopback only: the admin interface has no authentication.
                    { "address", SocketAddress("127.0.0.1", options.AdminPort) },
                }
            },
        };

        using var yaml = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        yaml.Write($"# Envoy bootstrap for Baton node '{options.NodeId}', made by `baton envoy bootstrap`.\n");
        var emitter = new Emitter(yaml);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(emitter, bootstrap);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return yaml.ToString();
    }

    private static YamlMappingNode XdsApiConfigSource() => new()
    {
        { "api_type", "GRPC" },
        { "transport_api_version", "V3" },
        {
            "grpc_services", new YamlSequenceNode(
                new YamlMappingNode { { "envoy_grpc", new YamlMappingNode { { "cluster_name", XdsClusterName } } } })
        },
        // The server keeps the node from the stream's first request.
        { "set_node_on_first_message_only", Boolean(true) },
    };

    private static YamlMappingNode AdsConfigSource() => new()
    {
        { "ads", new YamlMappingNode() },
        { "resource_api_version", "V3" },
    };

    private static YamlMappingNode XdsCluster(EnvoyBootstrapOptions options) => new()
    {
        { "name", XdsClusterName },
        // An IP needs no resolution; a host name is resolved and followed when it changes.
        { "type", IPAddress.TryParse(options.XdsHost, out _) ? "STATIC" : "STRICT_DNS" },
        { "connect_timeout", "5s" },
        // xDS is gRPC: HTTP/2 to the orchestrator.
        {
            "typed_extension_protocol_options", new YamlMappingNode
            {
                {
                    Http2OptionsKey, new YamlMappingNode
                    {
                        { "@type", "type.googleapis.com/" + Http2OptionsKey },
                        { "explicit_http_config", new YamlMappingNode { { "http2_protocol_options", new YamlMappingNode() } } },
                    }
                },
            }
        },
        {
            "load_assignment", new YamlMappingNode
            {
                { "cluster_name", XdsClusterName },
                {
                    "endpoints", new YamlSequenceNode(new YamlMappingNode
                    {
                        {
                            "lb_endpoints", new YamlSequenceNode(
                                new YamlMappingNode { { "endpoint", new YamlMappingNode { { "address", SocketAddress(options.XdsHost, options.XdsPort) } } } })
                        },
                    })
                },
            }
        },
    };

    private static YamlMappingNode SocketAddress(string address, int port) => new()
    {
        { "socket_address", new YamlMappingNode { { "address", Text(address) }, { "port_value", Number(port) } } },
    };

    /// <summary>A string from the user: quoted when a YAML reader would take it for another type.</summary>
    private static YamlScalarNode Text(string value) =>
        new(value) { Style = LooksLikeAnotherType(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any };

    private static YamlScalarNode Number(int value) =>
        new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static YamlScalarNode Boolean(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };

    /// <summary>
    /// Whether a plain scalar with this text would resolve to null, a boolean or a number under YAML 1.2's core
    /// schema or YAML 1.1's types (yes/no/on/off, octal, base 60, ...), which some readers still apply.
    /// </summary>
    internal static bool LooksLikeAnotherType(string value) => value.Length == 0 || NonStringScalar().IsMatch(value);

    [GeneratedRegex(
        """
        ^(?:~|null|Null|NULL
        |y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
        |[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?)
        |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
        )$
        """,
        RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex NonStringScalar();

    /// <summary>Writes a node tree as emitter events: block style, no tags, no anchors.</summary>
    private static void Emit(IEmitter emitter, YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, scalar.Value ?? string.Empty, scalar.Style, isPlainImplicit: true, isQuotedImplicit: true));
                break;
            case YamlSequenceNode sequence:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, SequenceStyle.Any));
                foreach (var item in sequence.Children)
                {
                    Emit(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case YamlMappingNode mapping:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, MappingStyle.Any));
                foreach (var (key, value) in mapping.Children)
                {
                    Emit(emitter, key);
                    Emit(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            default:
                throw new ArgumentException($"unexpected YAML node {node.NodeType}", nameof(node));
        }
    }

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
