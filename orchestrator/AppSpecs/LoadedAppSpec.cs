using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>A valid spec with every default filled in, and notes on what was decided on the user's behalf.</summary>
/// <param name="Spec">Ready to store and to deploy.</param>
/// <param name="Notes">E.g. "a final step at 100% was appended"; worth showing to whoever applied the spec.</param>
public sealed record LoadedAppSpec(AppSpec Spec, IReadOnlyList<string> Notes);
