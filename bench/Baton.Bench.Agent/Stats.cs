namespace Baton.Bench.Agent;

/// <summary>Median and p99 of a set of samples, in milliseconds.</summary>
public sealed record Distribution(int Count, double MedianMs, double P99Ms)
{
    public static Distribution Of(IReadOnlyCollection<double> samplesMs)
    {
        if (samplesMs.Count == 0) throw new ArgumentException("no samples", nameof(samplesMs));
        var sorted = samplesMs.Order().ToArray();
        return new Distribution(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 99));
    }

    /// <summary>Nearest-rank percentile: a value that was actually measured, never an interpolation.</summary>
    private static double Percentile(double[] sorted, double percent)
    {
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
