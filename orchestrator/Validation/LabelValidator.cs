using System.Text.RegularExpressions;

namespace Baton.Orchestrator.Validation;

/// <summary>
/// Agent labels (zone=eu-1, disk=ssd) select where an app runs. Keys and values keep to a small
/// alphabet so they survive the store's JSON, command lines and log lines without quoting:
/// keys 1-63 letters, digits, '.', '_', '-' or '/', starting with a letter or digit;
/// values 0-63 letters, digits, '.', '_' or '-'.
/// </summary>
public static partial class LabelValidator
{
    public const string KeyRule = "use 1-63 letters, digits, '.', '_', '-' or '/', starting with a letter or digit";
    public const string ValueRule = "use at most 63 letters, digits, '.', '_' or '-'";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ValuePattern();

    public static bool IsValidKey(string? key) => key is not null && KeyPattern().IsMatch(key);

    public static bool IsValidValue(string? value) => value is not null && ValuePattern().IsMatch(value);
}
