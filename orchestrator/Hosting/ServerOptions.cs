using System.Net;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// What `baton server` was asked to run, already validated by <c>ServerCommand</c>: addresses
/// parsed, paths made absolute, token files known to exist (their contents are read by the host).
/// </summary>
/// <param name="Listen">The orchestrator API (the CLI's gRPC endpoint).</param>
/// <param name="XdsListen">The xDS (ADS) and load-report (LRS) servers the data planes connect to.</param>
/// <param name="DataDir">Folder for the store and uploaded artifacts.</param>
/// <param name="TokenFile">Bearer token API callers must present; null only when <paramref name="Listen"/> is loopback.</param>
/// <param name="AgentTokenFile">Bearer token the orchestrator presents to the agents, if they require one.</param>
/// <param name="MetricsListen">Loopback HTTP/1.1 endpoint for /metrics, or null for none.</param>
public sealed record ServerOptions(
    IPEndPoint Listen,
    IPEndPoint XdsListen,
    string DataDir,
    string? TokenFile,
    string? AgentTokenFile,
    IPEndPoint? MetricsListen = null)
{
    public const string DefaultListen = "127.0.0.1:7000";
    public const string DefaultXdsListen = "127.0.0.1:18000";

    /// <summary>$XDG_STATE_HOME/baton, else ~/.local/state/baton: per-user state that survives reboots.</summary>
    public static string DefaultDataDir()
    {
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(stateHome))
            stateHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(stateHome, "baton");
    }
}
