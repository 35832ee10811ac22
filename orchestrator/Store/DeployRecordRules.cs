using Baton.Orchestrator.Validation;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Store;

/// <summary>What a deploy record must hold before the store accepts it; violations are programming errors of the caller.</summary>
internal static class DeployRecordRules
{
    public const int MaxIdLength = 128;

    public static void RequireValid(Deploy deploy)
    {
        ArgumentNullException.ThrowIfNull(deploy);
        if (string.IsNullOrEmpty(deploy.Id) || deploy.Id.Length > MaxIdLength || deploy.Id.Any(c => c is < '!' or > '~'))
            throw new ArgumentException($"deploy id \"{deploy.Id}\" must be 1-{MaxIdLength} printable ASCII characters without spaces", nameof(deploy));
        if (!NameValidator.IsValid(deploy.App)) throw new ArgumentException($"deploy {deploy.Id}: app {NameValidator.Show(deploy.App)} is not a valid name", nameof(deploy));
        if (!NameValidator.IsValid(deploy.ToVersion)) throw new ArgumentException($"deploy {deploy.Id}: to_version {NameValidator.Show(deploy.ToVersion)} is not a valid name", nameof(deploy));
        if (deploy.FromVersion.Length > 0 && !NameValidator.IsValid(deploy.FromVersion))
            throw new ArgumentException($"deploy {deploy.Id}: from_version {NameValidator.Show(deploy.FromVersion)} is not a valid name", nameof(deploy));
        if (deploy.Phase == DeployPhase.Unspecified || !Enum.IsDefined(deploy.Phase))
            throw new ArgumentException($"deploy {deploy.Id}: phase {(int)deploy.Phase} is not a deploy phase", nameof(deploy));
        if (deploy.Kind == DeployKind.Unspecified || !Enum.IsDefined(deploy.Kind))
            throw new ArgumentException($"deploy {deploy.Id}: kind {(int)deploy.Kind} is not a deploy kind", nameof(deploy));
    }

    /// <summary>A deploy's app, kind and versions are fixed when it starts; an update changing them is a bug.</summary>
    public static void RequireSameIdentity(Deploy stored, Deploy update)
    {
        if (stored.App != update.App || stored.Kind != update.Kind || stored.FromVersion != update.FromVersion || stored.ToVersion != update.ToVersion)
            throw new ArgumentException(
                $"deploy {stored.Id} is {stored.App} {stored.FromVersion} → {stored.ToVersion} ({stored.Kind}); an update cannot change that " +
                $"(got {update.App} {update.FromVersion} → {update.ToVersion} ({update.Kind}))", nameof(update));
    }
}
