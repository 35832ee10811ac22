namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// One problem in an app spec, located the way an editor wants it: source name, line, and the
/// field's path in the YAML (e.g. <c>strategy.steps[2].weight</c>, list indexes 0-based).
/// </summary>
/// <param name="Source">The spec's source name, e.g. the file name given to <c>baton apply -f</c>.</param>
/// <param name="Line">1-based line in the source, or null when the spec did not come from YAML text.</param>
/// <param name="Field">The field's YAML path; empty when the problem concerns the whole document.</param>
/// <param name="Message">What is wrong, and where useful what would be right.</param>
public sealed record SpecError(string Source, int? Line, string Field, string Message)
{
    /// <summary><c>web.yaml:14: strategy.steps[2].weight: 120 is not a percentage (0-100)</c></summary>
    public override string ToString()
    {
        var where = Line is { } line ? $"{Source}:{line}" : Source;
        return Field.Length == 0 ? $"{where}: {Message}" : $"{where}: {Field}: {Message}";
    }
}
