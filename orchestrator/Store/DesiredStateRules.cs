using System.Text.Json;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Store;

/// <summary>
/// What a desired state must hold to be converged to: names valid, each release and instance id
/// once, instances' specs naming the app, and weights adding up to 100 (or 0: nothing routed yet).
/// </summary>
internal static class DesiredStateRules
{
    public static void RequireValid(DesiredState desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        if (!NameValidator.IsValid(desired.App)) throw new ArgumentException($"app {NameValidator.Show(desired.App)} is not a valid name", nameof(desired));
        ArgumentNullException.ThrowIfNull(desired.Releases);
        if (desired.Revision < 0) throw new ArgumentException($"desired state of {desired.App}: revision {desired.Revision} is negative", nameof(desired));

        var versions = new HashSet<string>(StringComparer.Ordinal);
        var instanceIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var release in desired.Releases)
        {
            var where = $"desired state of {desired.App}, release {release.Version}";
            if (!NameValidator.IsValid(release.Version)) throw new ArgumentException($"{where}: version is not a valid name", nameof(desired));
            if (!versions.Add(release.Version)) throw new ArgumentException($"{where}: listed twice", nameof(desired));
            ArgumentNullException.ThrowIfNull(release.Spec);
            if (release.Spec.Name != desired.App) throw new ArgumentException($"{where}: the spec is for app \"{release.Spec.Name}\"", nameof(desired));
            ArgumentNullException.ThrowIfNull(release.ArtifactSha256);
            foreach (var instance in release.Instances)
            {
                if (!NameValidator.IsValid(instance.Agent)) throw new ArgumentException($"{where}: agent {NameValidator.Show(instance.Agent)} is not a valid name", nameof(desired));
                if (!NameValidator.IsValid(instance.InstanceId)) throw new ArgumentException($"{where}: instance id {NameValidator.Show(instance.InstanceId)} is not a valid name", nameof(desired));
                if (!instanceIds.Add(instance.InstanceId)) throw new ArgumentException($"{where}: instance id {instance.InstanceId} is used twice", nameof(desired));
            }
        }

        RequireValidWeights(desired.Weights, nameof(desired));
        var total = desired.Weights.Sum(w => (long)w.Weight);
        if (total != 0 && total != 100)
            throw new ArgumentException($"desired state of {desired.App}: weights add up to {total}, not 100", nameof(desired));
    }

    public static void RequireValidWeights(IReadOnlyList<VersionWeight> weights, string parameter)
    {
        ArgumentNullException.ThrowIfNull(weights, parameter);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var weight in weights)
        {
            if (!NameValidator.IsValid(weight.Version)) throw new ArgumentException($"weight for version {NameValidator.Show(weight.Version)}: not a valid name", parameter);
            if (!seen.Add(weight.Version)) throw new ArgumentException($"weight for version {weight.Version} is given twice", parameter);
            if (weight.Weight > 100) throw new ArgumentException($"weight {weight.Weight} for version {weight.Version} is not a percentage", parameter);
        }
    }

    public static string WeightsJson(IReadOnlyList<VersionWeight> weights) =>
        JsonSerializer.Serialize(weights.ToList(), StoreJsonContext.Default.ListVersionWeight);

    public static IReadOnlyList<VersionWeight> ParseWeights(string json) =>
        JsonSerializer.Deserialize(json, StoreJsonContext.Default.ListVersionWeight)
            ?? throw new InvalidDataException("a weights column holds JSON null");
}
