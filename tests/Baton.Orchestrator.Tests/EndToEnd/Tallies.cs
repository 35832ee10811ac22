using Baton.Orchestrator.Tests.Conformance;

namespace Baton.Orchestrator.Tests.EndToEnd;

internal static class Tallies
{
    /// <summary>Several clients' windows as one: the counts added up.</summary>
    public static ClientTally Sum(IEnumerable<ClientTally> tallies)
    {
        var all = tallies.ToList();
        return new ClientTally(
            all.Sum(t => t.Calls),
            all.Sum(t => t.Ok),
            all.Sum(t => t.Failed),
            Add(all.Select(t => t.Versions)),
            Add(all.Select(t => t.Instances)),
            Add(all.Select(t => t.Failures)),
            all.SelectMany(t => t.Errors).Distinct().ToList())
        {
            FailedVersions = Add(all.Select(t => t.FailedVersions)),
        };
    }

    private static Dictionary<string, long> Add(IEnumerable<IReadOnlyDictionary<string, long>> counts)
    {
        var sum = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in counts.SelectMany(c => c)) sum[key] = sum.GetValueOrDefault(key) + value;
        return sum;
    }
}
