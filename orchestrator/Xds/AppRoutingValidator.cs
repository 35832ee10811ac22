using System.Text.RegularExpressions;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// Rejects routing the xDS server could not express safely. Names end up in resource names and in
/// xds:/// targets, so they are kept to a DNS-label-like alphabet without '/'.
/// </summary>
public static partial class AppRoutingValidator
{
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex AppNamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex VersionPattern();

    public static void ValidateAppName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!AppNamePattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"app name '{name}' is invalid: use 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit",
                nameof(name));
        }
    }

    /// <exception cref="ArgumentException">With the first problem found, naming the release or endpoint.</exception>
    public static void Validate(AppRouting app)
    {
        ArgumentNullException.ThrowIfNull(app);
        ValidateAppName(app.Name);
        if (!Enum.IsDefined(app.Protocol))
        {
            throw new ArgumentException($"app '{app.Name}': protocol {(int)app.Protocol} is not Http or Grpc", nameof(app));
        }
        if (app.PublicPort is { } port && (port < 1 || port > 65535))
        {
            throw new ArgumentException($"app '{app.Name}': public port {port} is outside 1-65535", nameof(app));
        }
        if (app.Protocol == AppProtocol.Http && app.PublicPort is null)
        {
            throw new ArgumentException($"app '{app.Name}': an http app needs a public port for its Envoy listener", nameof(app));
        }
        if (app.Releases is null || app.Releases.Count == 0)
        {
            throw new ArgumentException($"app '{app.Name}': at least one release is required", nameof(app));
        }

        var versions = new HashSet<string>(StringComparer.Ordinal);
        ulong totalWeight = 0;
        foreach (var release in app.Releases)
        {
            if (release is null || release.Version is null || !VersionPattern().IsMatch(release.Version))
            {
                throw new ArgumentException(
                    $"app '{app.Name}': release version '{release?.Version}' is invalid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                    nameof(app));
            }
            if (!versions.Add(release.Version))
            {
                throw new ArgumentException($"app '{app.Name}': release '{release.Version}' is listed twice", nameof(app));
            }
            totalWeight += release.Weight;
            ValidateEndpoints(app.Name, release);
        }
        if (totalWeight == 0)
        {
            throw new ArgumentException($"app '{app.Name}': at least one release needs a positive weight", nameof(app));
        }
        if (totalWeight > uint.MaxValue)
        {
            throw new ArgumentException($"app '{app.Name}': weights add up to {totalWeight}, more than {uint.MaxValue}", nameof(app));
        }
    }

    private static void ValidateEndpoints(string appName, ReleaseRouting release)
    {
        if (release.Endpoints is null)
        {
            throw new ArgumentException($"app '{appName}' release '{release.Version}': endpoints must not be null", nameof(release));
        }
        var seen = new HashSet<(string, int)>();
        foreach (var endpoint in release.Endpoints)
        {
            if (endpoint is null || string.IsNullOrWhiteSpace(endpoint.Host) || endpoint.Host.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException(
                    $"app '{appName}' release '{release.Version}': endpoint host '{endpoint?.Host}' is empty or contains white space",
                    nameof(release));
            }
            if (!System.Net.IPAddress.TryParse(endpoint.Host, out _))
            {
                // Envoy and gRPC both read EDS socket addresses as IP literals; a host name would be NACKed.
                throw new ArgumentException(
                    $"app '{appName}' release '{release.Version}': endpoint host '{endpoint.Host}' is not an IP address",
                    nameof(release));
            }
            if (endpoint.Port < 1 || endpoint.Port > 65535)
            {
                throw new ArgumentException(
                    $"app '{appName}' release '{release.Version}': endpoint {endpoint.Host} port {endpoint.Port} is outside 1-65535",
                    nameof(release));
            }
            if (!Enum.IsDefined(endpoint.Health))
            {
                throw new ArgumentException(
                    $"app '{appName}' release '{release.Version}': endpoint {endpoint.Host}:{endpoint.Port} has unknown health {(int)endpoint.Health}",
                    nameof(release));
            }
            if (!seen.Add((endpoint.Host, endpoint.Port)))
            {
                throw new ArgumentException(
                    $"app '{appName}' release '{release.Version}': endpoint {endpoint.Host}:{endpoint.Port} is listed twice",
                    nameof(release));
            }
        }
    }
}
