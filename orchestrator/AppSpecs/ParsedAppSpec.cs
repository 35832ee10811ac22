using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// What the parser made of a YAML spec: the AppSpec as written (no defaults yet), where each
/// field was written, and the problems found so far (shape, types, unknown keys, durations).
/// </summary>
/// <param name="Readable">
/// False when the text was not a YAML mapping at all (syntax error, empty, a list): then the
/// spec is empty, and validating it would only add noise ("name is required", …) to the one real error.
/// </param>
public sealed record ParsedAppSpec(AppSpec Spec, SpecLocations Locations, SpecErrorList Errors, bool Readable);
