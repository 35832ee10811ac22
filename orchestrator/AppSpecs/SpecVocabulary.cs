namespace Baton.Orchestrator.AppSpecs;

/// <summary>The words a spec may use for its enumerated fields, as written in YAML and stored in the AppSpec proto.</summary>
public static class SpecVocabulary
{
    public const string ProbeTcp = "tcp";
    public const string ProbeHttp = "http";
    public const string ProbeGrpc = "grpc";
    public static readonly IReadOnlyList<string> ProbeTypes = [ProbeTcp, ProbeHttp, ProbeGrpc];

    public const string RestartAlways = "always";
    public const string RestartOnFailure = "on-failure";
    public const string RestartNever = "never";
    public static readonly IReadOnlyList<string> RestartPolicies = [RestartAlways, RestartOnFailure, RestartNever];

    public const string ProtocolHttp = "http";
    public const string ProtocolGrpc = "grpc";
    public static readonly IReadOnlyList<string> Protocols = [ProtocolHttp, ProtocolGrpc];

    /// <summary>Stop signals the agent can send, in their canonical spelling.</summary>
    public static readonly IReadOnlyList<string> StopSignals = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"];

    /// <summary>"term", "SIGTERM", "sigterm" → "SIGTERM"; anything else is returned upper-cased for the validator to refuse.</summary>
    public static string CanonicalSignal(string written)
    {
        var upper = written.Trim().ToUpperInvariant();
        return upper.StartsWith("SIG", StringComparison.Ordinal) ? upper : "SIG" + upper;
    }

    /// <summary>"a, b or c" for messages.</summary>
    public static string OneOf(IReadOnlyList<string> words) =>
        words.Count == 1 ? words[0] : string.Join(", ", words.Take(words.Count - 1)) + " or " + words[^1];
}
