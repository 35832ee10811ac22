using Baton.Proxy.Hosting;

namespace Baton.Agent.Configuration;

/// <summary>
/// Everything an operator can set, from the YAML file, then environment (BATON_AGENT_*),
/// then command-line flags, each overriding the one before.
/// </summary>
public sealed class AgentOptions
{
    /// <summary>host:port to listen on. Anything but loopback requires authentication.</summary>
    public string Listen { get; set; } = "127.0.0.1:7070";

    /// <summary>Holds releases/, instances/ (logs and pipes) and the state file.</summary>
    public string DataDir { get; set; } = DefaultDataDir();

    /// <summary>Inclusive range the agent assigns instance ports (PORT) from.</summary>
    public int PortRangeStart { get; set; } = 20000;
    public int PortRangeEnd { get; set; } = 20999;

    /// <summary>How many releases per app stay on disk; ones with running instances always stay.</summary>
    public int KeepReleases { get; set; } = 3;

    /// <summary>Size at which an instance's log file is rotated, and how many rotated files are kept.</summary>
    public long LogMaxBytes { get; set; } = 10 * 1024 * 1024;
    public int LogRetainedFiles { get; set; } = 5;

    /// <summary>Largest artifact chunk accepted in one UploadRelease message.</summary>
    public int MaxChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest whole artifact accepted.</summary>
    public long MaxArtifactBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>File holding the bearer token callers must present.</summary>
    public string? TokenFile { get; set; }

    /// <summary>PEM certificate and key: with them the agent serves TLS.</summary>
    public string? CertificateFile { get; set; }
    public string? CertificateKeyFile { get; set; }

    /// <summary>PEM CA bundle: with it the agent requires client certificates signed by it (mTLS).</summary>
    public string? ClientCaFile { get; set; }

    /// <summary>
    /// host:port of the HTTP/1.1 endpoint serving /metrics, or null for none. It is separate
    /// because a cleartext gRPC endpoint must be HTTP/2-only (h2c prior knowledge), which
    /// Prometheus cannot scrape. The same authentication rules as <see cref="Listen"/> apply.
    /// </summary>
    public string? MetricsListen { get; set; } = "127.0.0.1:7071";

    /// <summary>Console log format: human-readable text with timestamps, or one JSON object per line.</summary>
    public AgentLogFormat LogFormat { get; set; } = AgentLogFormat.Text;

    /// <summary>
    /// The orchestrator's xDS endpoint for the built-in baton-proxy, or null for no proxy. The
    /// other Proxy* settings only matter when it is set.
    /// </summary>
    public string? ProxyXds { get; set; }
    public string? ProxyNode { get; set; }
    public string? ProxyApps { get; set; }
    public string? ProxyListenAddress { get; set; }

    /// <summary>The built-in proxy's options, or null when <see cref="ProxyXds"/> is not set.</summary>
    /// <exception cref="ArgumentException">A proxy setting is malformed.</exception>
    public ProxyOptions? BuildProxyOptions()
    {
        if (string.IsNullOrWhiteSpace(ProxyXds)) return null;
        var proxy = ProxyOptionsParser.Parse(ProxyXds, ProxyNode, ProxyApps, ProxyListenAddress);
        if (string.IsNullOrWhiteSpace(ProxyNode)) proxy.NodeId = $"baton-agent-proxy-{Environment.MachineName}";
        return proxy;
    }

    public string ReleasesDir => Path.Combine(DataDir, "releases");
    public string InstancesDir => Path.Combine(DataDir, "instances");
    public string StateFile => Path.Combine(DataDir, "state.json");

    private static string DefaultDataDir()
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        return Environment.UserName == "root" || string.IsNullOrEmpty(home)
            ? "/var/lib/baton-agent"
            : Path.Combine(home, ".local", "share", "baton-agent");
    }
}
