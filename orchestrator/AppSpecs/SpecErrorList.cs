using Grpc.Core;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// Collects every problem of one spec so that a user fixes them all in one round instead of one
/// per <c>baton apply</c>. Reported in line order, one per line, as a single InvalidArgument.
/// </summary>
public sealed class SpecErrorList(string source)
{
    private readonly List<SpecError> _errors = [];

    public string Source { get; } = source;

    public int Count => _errors.Count;

    /// <summary>The errors in line order (errors without a line last), ties in the order they were found.</summary>
    public IReadOnlyList<SpecError> Errors =>
        _errors.Select((error, index) => (error, index))
            .OrderBy(e => e.error.Line ?? int.MaxValue)
            .ThenBy(e => e.index)
            .Select(e => e.error)
            .ToList();

    public void Add(int? line, string field, string message) => _errors.Add(new SpecError(Source, line, field, message));

    /// <summary>Throws InvalidArgument listing every error, one per line, when there is any.</summary>
    public void ThrowIfAny()
    {
        if (_errors.Count == 0) return;
        throw new RpcException(new Status(StatusCode.InvalidArgument, string.Join('\n', Errors)));
    }
}
