using Grpc.Core;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// Labels select agents for placement (`placement.labels` in an app spec). Keys are short
/// identifiers so they can appear in specs and CLI flags unquoted; values are free text without
/// control characters so they print safely.
/// </summary>
public static class AgentLabels
{
    public const int MaxKeyLength = 63;
    public const int MaxValueLength = 253;
    public const int MaxCount = 64;

    /// <summary>A copy of <paramref name="labels"/> (empty when null), or InvalidArgument naming the bad label.</summary>
    public static IReadOnlyDictionary<string, string> Validate(IEnumerable<KeyValuePair<string, string>>? labels)
    {
        var copy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels ?? [])
        {
            if (key.Length is 0 or > MaxKeyLength || !key.All(IsKeyCharacter) || !char.IsAsciiLetterOrDigit(key[0]))
                throw Invalid($"label key {NameValidator.Show(key)} must be 1-{MaxKeyLength} letters, digits, '.', '_', '-' or '/', starting with a letter or digit");
            if (value.Length > MaxValueLength || value.Any(char.IsControl))
                throw Invalid($"label {key} has a value longer than {MaxValueLength} characters or holding control characters");
            copy[key] = value;
        }
        if (copy.Count > MaxCount) throw Invalid($"at most {MaxCount} labels per agent, got {copy.Count}");
        return copy;
    }

    private static bool IsKeyCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/';

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
