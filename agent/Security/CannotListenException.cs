namespace Baton.Agent.Security;

/// <summary>
/// One of the agent's listeners cannot bind (port in use, privileged port). The message is the one
/// line for the operator: address, flag, reason. Not a configuration error (the settings are valid,
/// the host refused them), so it has its own exit code.
/// </summary>
public sealed class CannotListenException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>sysexits.h's EX_OSERR: distinct from a crash (1) and from a configuration error (2).</summary>
    public const int ExitCode = 71;
}
