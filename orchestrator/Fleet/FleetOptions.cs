using System.Security.Cryptography.X509Certificates;

namespace Baton.Orchestrator.Fleet;

/// <summary>How the orchestrator talks to its agents: credentials, timing of health checks and reconnects, deadlines.</summary>
public sealed class FleetOptions
{
    /// <summary>Sent as `authorization: Bearer …` on every agent call. Never logged.</summary>
    public string? BearerToken { get; set; }

    /// <summary>https instead of h2c towards every agent.</summary>
    public bool UseTls { get; set; }

    /// <summary>Presented to agents that require mTLS (only with <see cref="UseTls"/>).</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>The CA that signed the agents' certificates, when it is not in the system trust store.</summary>
    public X509Certificate2? AgentCertificateAuthority { get; set; }

    /// <summary>Time between two health checks of one agent.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Deadline of one health check. An agent that stops answering is marked unreachable within
    /// <see cref="HealthCheckInterval"/> + <see cref="HealthCheckTimeout"/>.
    /// </summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First wait before re-opening a broken event stream; doubled per failure up to <see cref="ReconnectMaxBackoff"/>.</summary>
    public TimeSpan ReconnectInitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan ReconnectMaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of a unary agent call (Launch, ListInstances, ListReleases…).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of a Stop call, which waits out each instance's grace period before the agent answers.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Deadline of one artifact upload to one agent.</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Bytes per UploadRelease chunk; the agent takes at most 1 MiB per message.</summary>
    public int UploadChunkBytes { get; set; } = 256 * 1024;

    /// <summary>Events a slow subscriber of <see cref="AgentRegistry.WatchEventsAsync"/> may fall behind before its stream fails.</summary>
    public int EventSubscriberCapacity { get; set; } = 10_000;

    /// <summary>HTTP/2 keep-alive pings on idle agent connections, so a silently dead peer breaks the event stream.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (UploadChunkBytes is < 256 * 1024 or > 1024 * 1024)
            throw new ArgumentException($"{nameof(UploadChunkBytes)} must be 256 KiB-1 MiB, got {UploadChunkBytes}");
        foreach (var (name, value) in new[]
                 {
                     (nameof(HealthCheckInterval), HealthCheckInterval), (nameof(HealthCheckTimeout), HealthCheckTimeout),
                     (nameof(ReconnectInitialBackoff), ReconnectInitialBackoff), (nameof(ReconnectMaxBackoff), ReconnectMaxBackoff),
                     (nameof(CallTimeout), CallTimeout), (nameof(StopTimeout), StopTimeout), (nameof(UploadTimeout), UploadTimeout),
                     (nameof(KeepAlivePingDelay), KeepAlivePingDelay), (nameof(KeepAlivePingTimeout), KeepAlivePingTimeout),
                 })
        {
            if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be positive, got {value}");
        }
        if (ReconnectMaxBackoff < ReconnectInitialBackoff)
            throw new ArgumentException($"{nameof(ReconnectMaxBackoff)} must not be below {nameof(ReconnectInitialBackoff)}");
        if (EventSubscriberCapacity < 1) throw new ArgumentException($"{nameof(EventSubscriberCapacity)} must be at least 1");
        if (ClientCertificate is not null && !UseTls)
            throw new ArgumentException($"{nameof(ClientCertificate)} needs {nameof(UseTls)}: a client certificate is only presented over TLS");
    }
}
