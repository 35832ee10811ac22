using Baton.Proxy.Hosting;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Proxy.Xds;

/// <summary>The node this proxy presents on its ADS and LRS streams.</summary>
public static class ProxyNode
{
    public const string UserAgentName = "baton-proxy";

    /// <summary>The metadata key the orchestrator reads to decide which apps a node sees (see orchestrator NodeView).</summary>
    public const string AppsMetadataKey = "baton.apps";

    public static Node Build(ProxyOptions options)
    {
        var node = new Node
        {
            Id = options.NodeId,
            UserAgentName = UserAgentName,
            UserAgentVersion = typeof(ProxyNode).Assembly.GetName().Version?.ToString() ?? "",
        };
        if (options.Apps.Count > 0)
        {
            node.Metadata = new Struct();
            node.Metadata.Fields[AppsMetadataKey] = Value.ForList(options.Apps.Select(Value.ForString).ToArray());
        }
        return node;
    }
}
