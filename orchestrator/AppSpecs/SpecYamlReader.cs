using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// Typed reads from YAML nodes that never throw: a value of the wrong shape is reported to the
/// error list with its line and path, and read as "absent" so the parser goes on and finds the
/// other problems too. Every value read is recorded in the locations for the validator.
/// A YAML null (nothing after the colon, <c>~</c>, <c>null</c>) counts as absent, as templated
/// YAML often produces it for "not set".
/// </summary>
internal sealed class SpecYamlReader(SpecErrorList errors, SpecLocations locations)
{
    public SpecErrorList Errors { get; } = errors;

    public SpecLocations Locations { get; } = locations;

    public static int LineOf(YamlNode node) => (int)Math.Min(node.Start.Line, int.MaxValue);

    public void Error(YamlNode node, string path, string message) => Errors.Add(LineOf(node), path, message);

    public static bool IsNull(YamlNode? node) =>
        node is null
        || node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar
            && (string.IsNullOrEmpty(scalar.Value) || scalar.Value is "~" or "null" or "Null" or "NULL");

    /// <summary>
    /// The mapping's children by key, after reporting keys that are not in <paramref name="known"/>
    /// (with a suggestion when one is close) and keys that are not plain text.
    /// </summary>
    public IReadOnlyDictionary<string, YamlNode> Keys(YamlMappingNode mapping, string path, IReadOnlyList<string> known)
    {
        var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                Error(keyNode, path, "keys must be plain names");
                continue;
            }
            var keyPath = Join(path, key);
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                var suggestion = KeySuggester.Suggest(key, known);
                Error(keyNode, keyPath, suggestion is null
                    ? $"unknown key (known: {string.Join(", ", known)})"
                    : $"unknown key (did you mean \"{suggestion}\"?)");
                continue;
            }
            // The key's line: for a nested block that is the "readiness:" line, where a missing
            // field of it is best reported; for a scalar it is the value's line too.
            Locations.Record(keyPath, LineOf(keyNode));
            if (!IsNull(valueNode)) result[key] = valueNode;
        }
        return result;
    }

    public YamlMappingNode? Mapping(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        if (node is YamlMappingNode mapping) return mapping;
        Error(node!, path, $"expected a mapping (key: value lines), found {Describe(node!)}");
        return null;
    }

    public YamlSequenceNode? Sequence(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        if (node is YamlSequenceNode sequence) return sequence;
        Error(node!, path, $"expected a list, found {Describe(node!)}");
        return null;
    }

    public string? Text(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        if (node is YamlScalarNode { Value: { } value }) return value;
        Error(node!, path, $"expected a single value, found {Describe(node!)}");
        return null;
    }

    public uint? Count(YamlNode? node, string path)
    {
        var text = Text(node, path);
        if (text is null) return null;
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
        var trimmed = text.Trim();
        var message = IsDigits(trimmed) ? $"{trimmed} is too large (at most {uint.MaxValue})"
            : trimmed.StartsWith('-') && long.TryParse(trimmed, CultureInfo.InvariantCulture, out _) ? $"{trimmed} is negative"
            : $"\"{text}\" is not a whole number";
        Error(node!, path, message);
        return null;
    }

    public double? Number(YamlNode? node, string path)
    {
        var text = Text(node, path);
        if (text is null) return null;
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            return value;
        Error(node!, path, $"\"{text}\" is not a number");
        return null;
    }

    public bool? Flag(YamlNode? node, string path)
    {
        var text = Text(node, path);
        if (text is null) return null;
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        Error(node!, path, $"\"{text}\" is not true or false");
        return null;
    }

    /// <summary>
    /// A duration in milliseconds. When the field has a default (<paramref name="defaultMs"/> not
    /// null), an explicit zero is refused: the contract carries 0 as "take the default", so a
    /// written "0s" would silently become the default instead of meaning zero.
    /// </summary>
    public uint? Duration(YamlNode? node, string path, uint? defaultMs = null)
    {
        var text = Text(node, path);
        if (text is null) return null;
        if (!SpecDuration.TryParse(text, out var ms, out var error))
        {
            Error(node!, path, error);
            return null;
        }
        if (ms == 0 && defaultMs is { } fallback)
        {
            Error(node!, path, $"must be longer than 0s (leave it out for the default of {SpecDuration.Format(fallback)})");
            return null;
        }
        return ms;
    }

    /// <summary>A list of single values, each located as <c>path[i]</c>.</summary>
    public List<string>? TextList(YamlNode? node, string path)
    {
        var sequence = Sequence(node, path);
        if (sequence is null) return null;
        var result = new List<string>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            var item = sequence.Children[i];
            Locations.Record(itemPath, LineOf(item));
            if (IsNull(item))
            {
                Error(item, itemPath, "is empty");
                continue;
            }
            if (Text(item, itemPath) is { } text) result.Add(text);
        }
        return result;
    }

    /// <summary>
    /// A mapping of names to single values, each located as <c>path.key</c>. Values must be written
    /// (an empty string as <c>""</c>): a forgotten value is more likely than a wanted empty one.
    /// </summary>
    public List<KeyValuePair<string, string>>? TextMap(YamlNode? node, string path)
    {
        var mapping = Mapping(node, path);
        if (mapping is null) return null;
        var result = new List<KeyValuePair<string, string>>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Error(keyNode, path, "keys must be plain names");
                continue;
            }
            var entryPath = Join(path, key);
            Locations.Record(entryPath, LineOf(keyNode));
            if (IsNull(valueNode))
            {
                Error(keyNode, entryPath, "has no value (write \"\" for an empty one)");
                continue;
            }
            if (Text(valueNode, entryPath) is { } value) result.Add(new(key, value));
        }
        return result;
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static bool IsDigits(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: { } value } => $"\"{(value.Length > 40 ? value[..40] + "…" : value)}\"",
        _ => "something else",
    };
}
