namespace Baton.Orchestrator.Xds;

/// <summary>
/// A data plane's rejection of one response: its message, and the resources (with their generations)
/// that response carried, so a weight step knows whether its own resources were the ones refused.
/// </summary>
public sealed record NackRecord(
    string TypeUrl,
    string RejectedVersion,
    string Nonce,
    int Code,
    string Message,
    DateTimeOffset At,
    IReadOnlyDictionary<string, long> RejectedGenerations);
