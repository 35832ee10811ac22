using System.Globalization;
using System.Text.RegularExpressions;

namespace Baton.Bench.Http;

/// <summary>What hey's default summary says about a fixed-duration run (latencies of answered requests only).</summary>
internal sealed partial record HeySummary(double RequestsPerSecond, double P50Ms, double P99Ms, long Answered, long Non2xx, long Errors)
{
    public long Failed => Non2xx + Errors;

    public static HeySummary Parse(string text)
    {
        var rps = double.Parse(RequestsPerSecondLine().Match(text) is { Success: true } m ? m.Groups[1].Value : throw new FormatException($"no Requests/sec in hey's output:\n{text}"), CultureInfo.InvariantCulture);
        long answered = 0, non2xx = 0, errors = 0;
        var errorSection = text.IndexOf("Error distribution:", StringComparison.Ordinal);
        foreach (Match status in StatusLine().Matches(errorSection < 0 ? text : text[..errorSection]))
        {
            var code = int.Parse(status.Groups[1].Value, CultureInfo.InvariantCulture);
            var count = long.Parse(status.Groups[2].Value, CultureInfo.InvariantCulture);
            answered += count;
            if (code is < 200 or >= 300) non2xx += count;
        }
        if (errorSection >= 0)
            foreach (Match error in ErrorLine().Matches(text[errorSection..])) errors += long.Parse(error.Groups[1].Value, CultureInfo.InvariantCulture);
        return new HeySummary(rps, Quantile(text, "50%"), Quantile(text, "99%"), answered, non2xx, errors);
    }

    private static double Quantile(string text, string label)
    {
        var m = Regex.Match(text, Regex.Escape(label) + @" in ([0-9.]+) secs");
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 1000 : double.NaN;
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"^\s+\[(\d{3})\]\s+(\d+) responses", RegexOptions.Multiline)]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^\s+\[(\d+)\]\s+\S", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();
}
