namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// Where each field of a spec was written: YAML path → 1-based line. The validator works on the
/// AppSpec proto and asks here for the line of the field it complains about; a field that was
/// not written (a missing required key) is located at its nearest written parent.
/// </summary>
public sealed class SpecLocations
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    /// <summary>Locations of a spec that did not come from YAML text: every line is unknown.</summary>
    public static SpecLocations None => new();

    public void Record(string path, int line) => _lines.TryAdd(path, line);

    /// <summary>True when the field was written in the source.</summary>
    public bool Contains(string path) => _lines.ContainsKey(path);

    /// <summary>The field's line, else its nearest written parent's, else null.</summary>
    public int? LineOf(string path)
    {
        for (var current = path; current.Length > 0; current = Parent(current))
        {
            if (_lines.TryGetValue(current, out var line)) return line;
        }
        return _lines.TryGetValue("", out var root) ? root : null;
    }

    private static string Parent(string path)
    {
        var cut = path.LastIndexOfAny(['.', '[']);
        return cut < 0 ? "" : path[..cut];
    }
}
