using System.Globalization;

namespace Baton.Bench.Http;

/// <summary>One answered request from hey's CSV: when it started (since hey's start) and how long it took.</summary>
internal readonly record struct AnsweredRequest(double OffsetMs, double LatencyMs, int Status)
{
    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>
/// A fixed-count load run, request by request. hey writes a CSV row only for requests that got an
/// HTTP answer; connection errors (refused, reset, timeout) have no row, so they are the requests
/// asked for minus the rows. The bench's own client (<see cref="NoRetryLoad"/>) also records each
/// failed request and why in <see cref="Errors"/> (empty for hey, which does not say).
/// </summary>
internal sealed record LoadRun(int Requested, IReadOnlyList<AnsweredRequest> Answered, IReadOnlyList<FailedRequest>? Errors = null)
{
    public int ConnectionErrors => Requested - Answered.Count;

    /// <summary>"reset 12, closed before the response 3", or "" when the client did not say (hey).</summary>
    public string ErrorKinds => Errors is null ? "" : string.Join(", ", Errors.GroupBy(e => e.Kind).OrderByDescending(g => g.Count())
        .Select(g => $"{FailedRequest.Describe(g.Key)} {g.Count().ToString(CultureInfo.InvariantCulture)}"));

    public int Non2xx => Answered.Count(r => !r.Succeeded);

    public int Failed => ConnectionErrors + Non2xx;

    /// <summary>From the first request's start to the last answer's end, as hey saw it.</summary>
    public double SpanMs => Answered.Count == 0 ? 0 : Answered.Max(r => r.OffsetMs + r.LatencyMs);

    /// <summary>The answered requests that started inside [<paramref name="fromMs"/>, <paramref name="toMs"/>] (hey's clock).</summary>
    public IReadOnlyList<AnsweredRequest> StartedBetween(double fromMs, double toMs) =>
        Answered.Where(r => r.OffsetMs >= fromMs && r.OffsetMs <= toMs).ToList();

    /// <summary>Nearest-rank percentile of the latencies (always a latency that was measured); NaN for none.</summary>
    public static double Percentile(IEnumerable<AnsweredRequest> requests, double percent)
    {
        var sorted = requests.Select(r => r.LatencyMs).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Several runs as one sample (for percentiles over all of them; offsets are each run's own).</summary>
    public static LoadRun Combine(IEnumerable<LoadRun> runs)
    {
        var list = runs.ToList();
        return new LoadRun(list.Sum(r => r.Requested), [.. list.SelectMany(r => r.Answered)]);
    }

    /// <summary>
    /// Parses `hey -o csv`: a header, then per answered request
    /// response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset (seconds).
    /// </summary>
    public static LoadRun FromCsv(string csv, int requested)
    {
        var rows = new List<AnsweredRequest>();
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("response-time", StringComparison.Ordinal)) continue;
            var f = line.Split(',');
            if (f.Length < 8) throw new FormatException($"unexpected hey CSV line: {line}");
            rows.Add(new AnsweredRequest(
                double.Parse(f[7], CultureInfo.InvariantCulture) * 1000,
                double.Parse(f[0], CultureInfo.InvariantCulture) * 1000,
                int.Parse(f[6], CultureInfo.InvariantCulture)));
        }
        return new LoadRun(requested, rows);
    }
}
