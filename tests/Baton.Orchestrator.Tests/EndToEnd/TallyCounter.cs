using Baton.Orchestrator.Tests.Conformance;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Adds up <see cref="HttpOutcome"/>s from many workers into the same <see cref="ClientTally"/> the
/// grpc-js-xds clients report, so the split and failure assertions are shared. Thread-safe.
/// </summary>
internal sealed class TallyCounter
{
    private const int ErrorsKept = 5;

    private readonly object _lock = new();
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failedVersions = new(StringComparer.Ordinal);
    private readonly List<string> _errors = [];
    private long _calls, _ok, _failed;

    public void Record(HttpOutcome outcome)
    {
        lock (_lock)
        {
            _calls++;
            if (outcome.Ok)
            {
                _ok++;
                Increment(_versions, outcome.Version ?? "");
                Increment(_instances, outcome.Instance ?? "");
                return;
            }
            _failed++;
            Increment(_failures, outcome.FailureKind ?? "");
            // "" when no release answered: the proxy itself, or the connection, failed the request.
            Increment(_failedVersions, outcome.Version ?? "");
            if (_errors.Count < ErrorsKept && outcome.Error is not null) _errors.Add(outcome.Error);
        }
    }

    public ClientTally Snapshot()
    {
        lock (_lock)
        {
            return new ClientTally(_calls, _ok, _failed, new Dictionary<string, long>(_versions), new Dictionary<string, long>(_instances),
                new Dictionary<string, long>(_failures), [.. _errors])
            {
                FailedVersions = new Dictionary<string, long>(_failedVersions),
            };
        }
    }

    private static void Increment(Dictionary<string, long> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
}
