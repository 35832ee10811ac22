namespace Baton.Orchestrator.Tests.Fleet.Support;

/// <summary>
/// The built-in baton-proxy of a <see cref="RealAgent"/> (`baton-agent --proxy …`): fed by the
/// orchestrator's xDS endpoint, fronting <see cref="Apps"/>, its listeners kept on loopback.
/// </summary>
internal sealed record AgentProxySettings(string XdsAddress, string Node, string Apps)
{
    public IEnumerable<string> Arguments() =>
    [
        "--proxy", $"http://{XdsAddress}", "--proxy-node", Node, "--proxy-apps", Apps, "--proxy-listen-address", "127.0.0.1",
    ];
}
