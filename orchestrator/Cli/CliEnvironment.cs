namespace Baton.Orchestrator.Cli;

/// <summary>
/// Where the CLI reads its environment from: the process's variables, or a test's own.
/// Names of the variables the client commands read live here too.
/// </summary>
public sealed class CliEnvironment(Func<string, string?> variables)
{
    public const string ServerVariable = "BATON_SERVER";
    public const string TokenVariable = "BATON_TOKEN";
    public const string TokenFileVariable = "BATON_TOKEN_FILE";
    public const string DefaultServer = "http://127.0.0.1:7000";

    public static CliEnvironment Process { get; } = new(Environment.GetEnvironmentVariable);

    public string? Get(string name) => variables(name) is { Length: > 0 } value ? value : null;

    /// <summary>https://no-color.org: any non-empty NO_COLOR turns colours off; TERM=dumb turns off every escape sequence.</summary>
    public bool NoColor => Get("NO_COLOR") is not null;

    public bool DumbTerminal => string.Equals(Get("TERM"), "dumb", StringComparison.Ordinal);
}
