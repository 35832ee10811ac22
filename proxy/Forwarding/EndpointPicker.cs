namespace Baton.Proxy.Forwarding;

/// <summary>
/// A cluster's load balancer over its healthy endpoints, built once per config update and then read
/// concurrently by every request without locks.
/// </summary>
internal abstract class EndpointPicker
{
    protected EndpointPicker(EndpointState[] healthy, uint[] weights)
    {
        Healthy = healthy;
        Weights = weights;
    }

    /// <summary>The endpoints that take new requests; Draining and Unhealthy ones are not here.</summary>
    public EndpointState[] Healthy { get; }

    /// <summary>
    /// Each healthy endpoint's weight in this config (unset counts as 1, as in Envoy); kept beside the
    /// endpoints rather than on them because the endpoint objects are shared with the previous config.
    /// </summary>
    public uint[] Weights { get; }

    /// <summary>The endpoint for a new request, or null when the cluster has no healthy endpoint.</summary>
    public abstract EndpointState? Pick();

    /// <summary>
    /// An endpoint none of <paramref name="tried"/> is, for retrying a connect failure elsewhere; null
    /// when every healthy endpoint has been tried. Rare path: a linear scan from a random start.
    /// </summary>
    public EndpointState? PickOther(List<EndpointState> tried)
    {
        var healthy = Healthy;
        if (healthy.Length == 0)
        {
            return null;
        }
        var start = Random.Shared.Next(healthy.Length);
        for (var i = 0; i < healthy.Length; i++)
        {
            var candidate = healthy[(start + i) % healthy.Length];
            if (!tried.Contains(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
