using Baton.Proxy.Configuration;
using Baton.Proxy.LoadReporting;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// What of the clusters outlives a config update: each cluster's connection pool (kept while its
/// settings are unchanged) and its endpoints' in-flight counts. Used only under the data path's apply
/// lock; requests see the <see cref="ClusterRuntime"/> snapshots it builds, never the registry.
/// </summary>
internal sealed class ClusterRegistry(LoadStats stats)
{
    private Dictionary<string, ClusterEntry> _current = new(StringComparer.Ordinal);

    /// <summary>
    /// Prepares the runtimes for <paramref name="clusters"/>, reusing pools and endpoint objects of the
    /// current config. Nothing changes until <see cref="Commit"/>; <see cref="Abandon"/> undoes it.
    /// </summary>
    public PreparedClusters Prepare(IReadOnlyDictionary<string, ClusterConfig> clusters)
    {
        var entries = new Dictionary<string, ClusterEntry>(clusters.Count, StringComparer.Ordinal);
        var runtimes = new Dictionary<string, ClusterRuntime>(clusters.Count, StringComparer.Ordinal);
        var created = new List<UpstreamClient>();
        foreach (var (name, cluster) in clusters)
        {
            _current.TryGetValue(name, out var previous);
            UpstreamClient client;
            if (previous is not null && previous.Client.Matches(cluster))
            {
                client = previous.Client;
            }
            else
            {
                client = new UpstreamClient(cluster.ConnectTimeout, cluster.Upstream);
                created.Add(client);
            }

            var endpoints = new Dictionary<string, EndpointState>(cluster.Endpoints.Count, StringComparer.Ordinal);
            var healthy = new List<EndpointState>(cluster.Endpoints.Count);
            var weights = new List<uint>(cluster.Endpoints.Count);
            foreach (var endpoint in cluster.Endpoints)
            {
                var address = EndpointState.FormatAddress(endpoint.Host, endpoint.Port);
                // The same address listed twice shares one state, so its in-flight count stays whole.
                if (!endpoints.TryGetValue(address, out var state))
                {
                    state = previous?.Endpoints.GetValueOrDefault(address) ?? new EndpointState(endpoint.Host, endpoint.Port);
                    endpoints[address] = state;
                }
                if (endpoint.Health == EndpointHealth.Healthy)
                {
                    healthy.Add(state);
                    weights.Add(endpoint.Weight == 0 ? 1 : endpoint.Weight);
                }
            }

            var picker = ClusterRuntime.CreatePicker(cluster.LoadBalancing, [.. healthy], [.. weights]);
            entries[name] = new ClusterEntry(client, endpoints);
            runtimes[name] = new ClusterRuntime(name, client, picker, stats.For(name));
        }
        return new PreparedClusters(runtimes, entries, created);
    }

    /// <summary>Makes the prepared clusters current; pools no cluster uses any more go once idle.</summary>
    public void Commit(PreparedClusters prepared)
    {
        foreach (var (name, entry) in _current)
        {
            if (!prepared.Entries.TryGetValue(name, out var next) || !ReferenceEquals(next.Client, entry.Client))
            {
                entry.Client.Retire();
            }
        }
        _current = prepared.Entries;
    }

    /// <summary>Forgets a preparation that will not be applied; its new pools never carried a request.</summary>
    public static void Abandon(PreparedClusters prepared)
    {
        foreach (var client in prepared.Created)
        {
            client.Retire();
        }
    }

    /// <summary>Retires every pool (the data path is going away); each is disposed once its requests end.</summary>
    public void RetireAll()
    {
        foreach (var entry in _current.Values)
        {
            entry.Client.Retire();
        }
        _current = new Dictionary<string, ClusterEntry>(StringComparer.Ordinal);
    }

    internal sealed record ClusterEntry(UpstreamClient Client, Dictionary<string, EndpointState> Endpoints);
}

/// <summary>Clusters built for a config not yet applied.</summary>
internal sealed record PreparedClusters(
    IReadOnlyDictionary<string, ClusterRuntime> Runtimes,
    Dictionary<string, ClusterRegistry.ClusterEntry> Entries,
    List<UpstreamClient> Created);
