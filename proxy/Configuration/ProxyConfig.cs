namespace Baton.Proxy.Configuration;

/// <summary>
/// Everything the proxy obeys at one moment, translated from the xDS resources it ACKed: the
/// listeners it binds (each with its route table) and the clusters those routes pick from.
/// Immutable: a new update is a new instance, swapped in whole, so a request sees one consistent
/// config from routing to endpoint choice.
/// </summary>
public sealed record ProxyConfig(
    IReadOnlyList<ListenerConfig> Listeners,
    IReadOnlyDictionary<string, ClusterConfig> Clusters)
{
    public static ProxyConfig Empty { get; } = new([], new Dictionary<string, ClusterConfig>(StringComparer.Ordinal));
}
