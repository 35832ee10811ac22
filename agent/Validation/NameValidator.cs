using System.Text.RegularExpressions;
using Grpc.Core;

namespace Baton.Agent.Validation;

/// <summary>
/// App names, versions and instance ids become folder names and environment values, so they
/// are held to one safe alphabet: lowercase letters, digits, '-' and '.', 1–63 characters,
/// starting with a letter or digit (so neither "." nor ".." can ever be a name).
/// </summary>
public static partial class NameValidator
{
    public const int MaxLength = 63;

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Throws InvalidArgument naming the field and the rule when <paramref name="value"/> is not a valid name.</summary>
    public static void Require(string? value, string field)
    {
        if (IsValid(value)) return;
        var shown = value is null ? "nothing" : $"\"{(value.Length > 80 ? value[..80] + "…" : value)}\"";
        throw new RpcException(new Status(StatusCode.InvalidArgument,
            $"{field} {shown} is not a valid name: use 1-{MaxLength} lowercase letters, digits, '-' or '.', starting with a letter or digit"));
    }
}
