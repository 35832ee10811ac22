using System.Text.RegularExpressions;
using Grpc.Core;

namespace Baton.Orchestrator.Validation;

/// <summary>
/// The agent's name rule, held by the orchestrator too so that names are refused at its API edge
/// before any agent sees them. App names, versions and instance ids become folder names and
/// environment values on the hosts: lowercase letters, digits, '-' and '.', 1–63 characters,
/// starting with a letter or digit (so neither "." nor ".." can ever be a name).
/// Kept equal to Baton.Agent.Validation.NameValidator; the orchestrator does not reference the agent.
/// </summary>
public static partial class NameValidator
{
    public const int MaxLength = 63;

    /// <summary>The rule in words, for error messages.</summary>
    public const string Rule = "use 1-63 lowercase letters, digits, '-' or '.', starting with a letter or digit";

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>The value quoted and shortened for a message, or "nothing" for null.</summary>
    public static string Show(string? value) =>
        value is null ? "nothing" : $"\"{(value.Length > 80 ? value[..80] + "…" : value)}\"";

    /// <summary>Throws InvalidArgument naming the field and the rule when <paramref name="value"/> is not a valid name.</summary>
    public static void Require(string? value, string field)
    {
        if (IsValid(value)) return;
        throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} {Show(value)} is not a valid name: {Rule}"));
    }
}
