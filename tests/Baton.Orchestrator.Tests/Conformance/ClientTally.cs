using System.Text.Json;
using System.Text.Json.Serialization;

namespace Baton.Orchestrator.Tests.Conformance;

/// <summary>
/// Counts an xDS client reported for a set of its calls (a window, or everything since it started), as
/// printed by tests/conformance/xds-client.js and xds_client.py.
/// </summary>
internal sealed record ClientTally(
    long Calls,
    long Ok,
    long Failed,
    IReadOnlyDictionary<string, long> Versions,
    IReadOnlyDictionary<string, long> Instances,
    IReadOnlyDictionary<string, long> Failures,
    IReadOnlyList<string> Errors)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public static ClientTally From(JsonElement element) =>
        element.Deserialize<ClientTally>(Json) ?? throw new InvalidDataException($"not a tally: {element}");

    /// <summary>Failed calls per release that failed them ("" when no release said so); xds-client.js only.</summary>
    public IReadOnlyDictionary<string, long> FailedVersions { get; init; } = new Dictionary<string, long>();

    public long Of(string version) => Versions.GetValueOrDefault(version);

    public long FailedBy(string version) => FailedVersions.GetValueOrDefault(version);

    public override string ToString() =>
        $"{Calls} calls, {Failed} failed; versions {Describe(Versions)}; instances {Describe(Instances)}"
        + (Failed > 0 ? $"; failures {Describe(Failures)}: {string.Join(" | ", Errors)}" : "");

    private static string Describe(IReadOnlyDictionary<string, long> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>Whether an observed split matches the weights, within binomial noise.</summary>
internal static class WeightedSplit
{
    /// <summary>
    /// Each call picks a release independently with probability weight/total, so a release's count is
    /// binomial: it must lie within 5 standard deviations of calls·p (a false alarm about once in 1.7
    /// million steps). A release with weight 0, or all the weight, must get exactly none, or every call.
    /// </summary>
    public static void AssertFollows(ClientTally tally, params (string Version, uint Weight)[] weights)
    {
        Assert.True(tally.Failed == 0, $"failed calls in a weight step: {tally}");
        var total = weights.Sum(w => (double)w.Weight);
        var unexpected = tally.Versions.Keys.Except(weights.Select(w => w.Version)).ToList();
        Assert.True(unexpected.Count == 0, $"calls answered by releases outside the route ({string.Join(", ", unexpected)}): {tally}");
        foreach (var (version, weight) in weights)
        {
            var p = weight / total;
            var observed = tally.Of(version);
            if (p is 0 or 1)
            {
                Assert.True(observed == (long)(p * tally.Calls), $"release {version} at weight {weight}/{total} got {observed} of {tally.Calls}: {tally}");
                continue;
            }
            var expected = tally.Calls * p;
            var tolerance = 5 * Math.Sqrt(tally.Calls * p * (1 - p));
            Assert.True(Math.Abs(observed - expected) <= tolerance,
                $"release {version} at weight {weight}/{total} got {observed} of {tally.Calls}, expected {expected:F0} ± {tolerance:F0}: {tally}");
        }
    }
}
