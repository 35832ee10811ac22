using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// What the parser made of a YAML spec: the AppSpec as written (no defaults yet), where each
/// field was written, and the problems found so far (shape, types, unknown keys, durations).
/// </summary>
public sealed record ParsedAppSpec(AppSpec Spec, SpecLocations Locations, SpecErrorList Errors);
