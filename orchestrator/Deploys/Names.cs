using System.Text.RegularExpressions;
using Grpc.Core;

namespace Baton.Orchestrator.Deploys;

/// <summary>The name rule shared with the agents: 1-63 of lowercase letters, digits, '-', '.', starting with a letter or digit.</summary>
public static partial class Names
{
    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    public static void Require(string? value, string field)
    {
        if (IsValid(value)) return;
        throw new RpcException(new Status(StatusCode.InvalidArgument,
            $"{field} \"{value}\" is not a valid name: use 1-63 lowercase letters, digits, '-' or '.', starting with a letter or digit"));
    }
}
