namespace Baton.Proxy.Hosting;

/// <summary>What a baton-proxy needs to know to join a Baton control plane.</summary>
public sealed class ProxyOptions
{
    /// <summary>The orchestrator's xDS (ADS + LRS) endpoint, e.g. <c>http://127.0.0.1:18000</c> (h2c).</summary>
    public Uri XdsServer { get; set; } = new("http://127.0.0.1:18000");

    /// <summary>node.id: how the orchestrator lists this data plane (`baton dataplanes`).</summary>
    public string NodeId { get; set; } = $"baton-proxy-{Environment.MachineName}";

    /// <summary>
    /// The apps this proxy fronts, sent as node metadata <c>baton.apps</c>; empty means every app
    /// the orchestrator serves.
    /// </summary>
    public IReadOnlyList<string> Apps { get; set; } = [];

    /// <summary>
    /// Binds every listener on this address instead of the one served (the orchestrator serves
    /// 0.0.0.0 by default): <c>127.0.0.1</c> keeps a test or demo proxy on loopback.
    /// </summary>
    public string? ListenAddressOverride { get; set; }

    /// <summary>
    /// How long a listener the config no longer has (or the whole proxy when it stops) lets requests
    /// in flight finish before it aborts them. It stops accepting new connections at once.
    /// </summary>
    public TimeSpan ListenerDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting to the orchestrator; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);
}
