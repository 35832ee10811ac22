using System.Text;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// The API edge for app specs: YAML text in, a complete valid AppSpec out, or one InvalidArgument
/// listing every problem (<c>web.yaml:14: strategy.steps[2].weight: 120 is not a percentage (0-100)</c>),
/// one per line, in line order.
/// </summary>
public static class AppSpecLoader
{
    /// <summary>Larger specs are refused before parsing: a spec is a page of settings, not a data set.</summary>
    public const int MaxSpecBytes = 256 * 1024;

    /// <exception cref="RpcException">InvalidArgument, listing every problem found.</exception>
    public static LoadedAppSpec Load(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var parsed = Parse(yaml, sourceName);
        if (parsed.Readable) AppSpecValidator.Validate(parsed.Spec, parsed.Locations, parsed.Errors);
        parsed.Errors.ThrowIfAny();
        var notes = new List<string>();
        var spec = AppSpecDefaults.Apply(parsed.Spec, notes);
        return new LoadedAppSpec(spec, notes);
    }

    /// <summary>
    /// Checks a spec that did not come from YAML (e.g. read back from the store) by the same
    /// rules; errors carry no line.
    /// </summary>
    /// <exception cref="RpcException">InvalidArgument, listing every problem found.</exception>
    public static void Validate(AppSpec spec, string sourceName)
    {
        var errors = new SpecErrorList(string.IsNullOrWhiteSpace(sourceName) ? "spec" : sourceName);
        AppSpecValidator.Validate(spec, SpecLocations.None, errors);
        errors.ThrowIfAny();
    }

    private static ParsedAppSpec Parse(string yaml, string sourceName)
    {
        var size = Encoding.UTF8.GetByteCount(yaml);
        if (size > MaxSpecBytes)
        {
            var source = string.IsNullOrWhiteSpace(sourceName) ? "spec" : sourceName;
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"{source}: the spec is {size} bytes long; at most {MaxSpecBytes} are allowed"));
        }
        return AppSpecParser.Parse(yaml, sourceName);
    }
}
