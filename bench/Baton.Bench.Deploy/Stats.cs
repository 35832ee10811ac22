namespace Baton.Bench.Deploy;

/// <summary>Median and p90 of a set of samples (nearest rank: always a value that was measured).</summary>
internal sealed record Distribution(int Count, double Median, double P90, double Min, double Max)
{
    public static Distribution Of(IEnumerable<double> samples)
    {
        var sorted = samples.Where(s => !double.IsNaN(s)).Order().ToArray();
        if (sorted.Length == 0) return new Distribution(0, double.NaN, double.NaN, double.NaN, double.NaN);
        return new Distribution(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 90), sorted[0], sorted[^1]);
    }

    private static double Percentile(double[] sorted, double percent)
    {
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
