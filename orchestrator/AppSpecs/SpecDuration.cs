using System.Globalization;
using System.Text.RegularExpressions;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// Durations as people write them: a number with a unit, <c>500ms</c>, <c>2s</c>, <c>1.5s</c>,
/// <c>1m</c>, <c>1h</c>, or several parts added up, <c>1m30s</c>. A bare number is refused: "30"
/// could mean seconds or milliseconds, and guessing wrong is a thousandfold error. The result is
/// whole milliseconds, as the contract carries them.
/// </summary>
public static partial class SpecDuration
{
    public const string Hint = "use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s";

    [GeneratedRegex(@"\G(\d+(?:\.\d+)?)(ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    /// <summary>Parses <paramref name="text"/> to milliseconds; false with a reason when it is not a duration.</summary>
    public static bool TryParse(string text, out uint milliseconds, out string error)
    {
        milliseconds = 0;
        error = "";
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            error = $"is empty; {Hint}";
            return false;
        }
        if (decimal.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _))
        {
            error = $"{trimmed} has no unit; {Hint}";
            return false;
        }

        decimal total = 0;
        var position = 0;
        while (position < trimmed.Length)
        {
            var match = Part().Match(trimmed, position);
            if (!match.Success)
            {
                error = $"\"{trimmed}\" is not a duration; {Hint}";
                return false;
            }
            // A number too long for decimal is far beyond any allowed duration anyway.
            if (!decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                error = $"{trimmed} is too long (at most {Format(uint.MaxValue)})";
                return false;
            }
            total += amount * UnitMilliseconds(match.Groups[2].Value);
            if (total > uint.MaxValue)
            {
                error = $"{trimmed} is too long (at most {Format(uint.MaxValue)})";
                return false;
            }
            position += match.Length;
        }
        if (total != decimal.Truncate(total))
        {
            error = $"{trimmed} is not a whole number of milliseconds";
            return false;
        }
        milliseconds = (uint)total;
        return true;
    }

    /// <summary>Milliseconds in the shortest exact form: 500ms, 2s, 1m30s, 1h.</summary>
    public static string Format(uint milliseconds)
    {
        if (milliseconds == 0) return "0s";
        var parts = new List<string>();
        var rest = (ulong)milliseconds;
        foreach (var (unit, size) in new (string, ulong)[] { ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1) })
        {
            if (rest < size) continue;
            parts.Add($"{rest / size}{unit}");
            rest %= size;
        }
        return string.Concat(parts);
    }

    private static decimal UnitMilliseconds(string unit) => unit switch
    {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "the pattern only matches ms, s, m and h"),
    };
}
