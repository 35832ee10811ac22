namespace Baton.Agent.Configuration;

/// <summary>
/// A configuration the agent refuses to start with. The message is a single line meant for
/// the operator (it names the setting, where it came from, and how to fix it); the process
/// exits with <see cref="ExitCode"/>.
/// </summary>
public sealed class AgentConfigurationException : Exception
{
    /// <summary>Exit code for every configuration error, distinct from a crash (1) and from success (0).</summary>
    public const int ExitCode = 2;

    public AgentConfigurationException(string message) : base(message) { }

    public AgentConfigurationException(string message, Exception inner) : base(message, inner) { }
}
