using System.Text;
using Baton.Proxy.Configuration;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// A route ready for requests: its match, its weighted cluster choices resolved to this snapshot's
/// clusters, and its timeout and retry limits as the forwarder applies them.
/// </summary>
internal sealed class CompiledRoute
{
    /// <summary>Envoy's route timeout when RouteAction.timeout is unset.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly string _prefix;
    private readonly string? _path;
    private readonly WeightedChoice[] _choices;
    private readonly ulong _totalWeight;

    public CompiledRoute(RouteConfig route, IReadOnlyDictionary<string, ClusterRuntime> clusters)
    {
        Name = route.Name;
        _prefix = route.Prefix;
        _path = route.Path;
        Timeout = route.Timeout ?? DefaultTimeout;
        Retries = RetryLimits.For(route.Retry);
        var choices = new List<WeightedChoice>(route.Clusters.Count);
        foreach (var choice in route.Clusters)
        {
            if (choice.Weight == 0)
            {
                continue; // Envoy never picks a zero-weight cluster.
            }
            _totalWeight += choice.Weight;
            choices.Add(new WeightedChoice(
                _totalWeight,
                clusters.GetValueOrDefault(choice.ClusterName),
                Encoding.UTF8.GetBytes($"cluster '{choice.ClusterName}' is not known to this proxy\n")));
        }
        _choices = [.. choices];
    }

    public string Name { get; }

    /// <summary>The whole upstream exchange; <see cref="TimeSpan.Zero"/> means none (long streams).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>RouteAction.retry_policy as the request path applies it (connect failures only when there is none).</summary>
    public RetryLimits Retries { get; }

    /// <summary>Envoy's path match: the exact path when set, else the prefix; both case-sensitive.</summary>
    public bool Matches(string path) =>
        _path is not null ? string.Equals(path, _path, StringComparison.Ordinal) : path.StartsWith(_prefix, StringComparison.Ordinal);

    /// <summary>
    /// A cluster drawn at random in proportion to the weights (as Envoy does per request); false with
    /// the reply to send when the route has no weighted cluster or the drawn one is unknown.
    /// </summary>
    public bool TryPickCluster(out ClusterRuntime? cluster, out byte[] failureReply)
    {
        var choices = _choices;
        if (choices.Length == 0)
        {
            cluster = null;
            failureReply = LocalReplies.NoWeightedCluster;
            return false;
        }
        var choice = choices[0];
        if (choices.Length > 1)
        {
            var draw = (ulong)Random.Shared.NextInt64((long)_totalWeight);
            foreach (var candidate in choices)
            {
                if (draw < candidate.CumulativeWeight)
                {
                    choice = candidate;
                    break;
                }
            }
        }
        cluster = choice.Cluster;
        failureReply = choice.UnknownClusterReply;
        return cluster is not null;
    }

    private sealed record WeightedChoice(ulong CumulativeWeight, ClusterRuntime? Cluster, byte[] UnknownClusterReply);
}
