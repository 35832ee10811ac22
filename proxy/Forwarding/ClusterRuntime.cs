using System.Text;
using Baton.Proxy.Configuration;
using Baton.Proxy.LoadReporting;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// A cluster as one config snapshot forwards to it: its connection pool, its load balancer over the
/// healthy endpoints, and its load counters, all resolved when the config is applied so a request
/// does no lookups by name.
/// </summary>
internal sealed class ClusterRuntime
{
    public ClusterRuntime(string name, UpstreamClient client, EndpointPicker picker, ClusterLoad load)
    {
        Name = name;
        Client = client;
        Picker = picker;
        Load = load;
        NoHealthyEndpointReply = Encoding.UTF8.GetBytes($"no healthy endpoint in cluster '{name}'\n");
    }

    public string Name { get; }

    public UpstreamClient Client { get; }

    public EndpointPicker Picker { get; }

    public ClusterLoad Load { get; }

    /// <summary>The 503 body when no endpoint takes requests, built once per snapshot.</summary>
    public byte[] NoHealthyEndpointReply { get; }

    public static EndpointPicker CreatePicker(LoadBalancingPolicy policy, EndpointState[] healthy, uint[] weights) => policy switch
    {
        LoadBalancingPolicy.RoundRobin => new RoundRobinPicker(healthy, weights),
        LoadBalancingPolicy.LeastRequest => new LeastRequestPicker(healthy, weights),
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "load balancing policy not implemented"),
    };
}
