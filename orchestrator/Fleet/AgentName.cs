using System.Text.RegularExpressions;
using Grpc.Core;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// The house rule for names (agents, apps, versions, instance ids): lowercase letters, digits,
/// '-' and '.', 1–63 characters, starting with a letter or digit. The same rule the agent applies,
/// so whatever the orchestrator accepts an agent also accepts.
/// </summary>
public static partial class AgentName
{
    public const int MaxLength = 63;

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Throws InvalidArgument naming the field and the rule when <paramref name="value"/> is not a valid name.</summary>
    public static void Require(string? value, string field)
    {
        if (IsValid(value)) return;
        throw new RpcException(new Status(StatusCode.InvalidArgument,
            $"{field} {Show(value)} is not a valid name: use 1-{MaxLength} lowercase letters, digits, '-' or '.', starting with a letter or digit"));
    }

    internal static string Show(string? value) =>
        value is null ? "nothing" : $"\"{(value.Length > 80 ? value[..80] + "…" : value)}\"";
}
