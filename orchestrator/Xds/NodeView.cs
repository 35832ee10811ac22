using System.Collections.Frozen;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// Which apps a data plane sees, decided once from the node of its first request:
/// <list type="number">
/// <item>node metadata <c>baton.apps</c> (a list of strings, or one comma-separated string) names the apps;</item>
/// <item>otherwise a non-empty node cluster does, comma-separated, where <c>*</c> means every app;</item>
/// <item>otherwise (no metadata key, empty cluster) the node sees every app.</item>
/// </list>
/// An Envoy started with <c>--service-cluster web</c> therefore fronts app <c>web</c> only.
/// </summary>
public sealed class NodeView
{
    public const string AppsMetadataKey = "baton.apps";

    private readonly FrozenSet<string>? _apps;

    private NodeView(FrozenSet<string>? apps)
    {
        _apps = apps;
    }

    /// <summary>Null when the node sees every app.</summary>
    public IReadOnlyCollection<string>? Apps => _apps;

    public bool Includes(string app) => _apps is null || _apps.Contains(app);

    /// <exception cref="ArgumentException">The metadata key holds something other than strings.</exception>
    public static NodeView For(Node node)
    {
        if (node.Metadata is { } metadata && metadata.Fields.TryGetValue(AppsMetadataKey, out var value))
        {
            return new NodeView(ParseMetadataApps(value));
        }
        if (!string.IsNullOrEmpty(node.Cluster))
        {
            var names = SplitList(node.Cluster);
            return names.Contains("*") ? new NodeView(null) : new NodeView(names.ToFrozenSet(StringComparer.Ordinal));
        }
        return new NodeView(null);
    }

    private static FrozenSet<string> ParseMetadataApps(Value value)
    {
        switch (value.KindCase)
        {
            case Value.KindOneofCase.StringValue:
                return SplitList(value.StringValue).ToFrozenSet(StringComparer.Ordinal);
            case Value.KindOneofCase.ListValue:
                var apps = new List<string>();
                foreach (var item in value.ListValue.Values)
                {
                    if (item.KindCase != Value.KindOneofCase.StringValue)
                    {
                        throw new ArgumentException(
                            $"node metadata '{AppsMetadataKey}' must list strings, found a {item.KindCase} item");
                    }
                    apps.AddRange(SplitList(item.StringValue));
                }
                return apps.ToFrozenSet(StringComparer.Ordinal);
            default:
                throw new ArgumentException(
                    $"node metadata '{AppsMetadataKey}' must be a string or a list of strings, found {value.KindCase}");
        }
    }

    private static List<string> SplitList(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
