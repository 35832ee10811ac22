using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Spectre.Console;

namespace Baton.Orchestrator.Cli.Rendering;

/// <summary>Small, culture-free formatting shared by the commands' tables.</summary>
public static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Bytes(ulong bytes) => bytes switch
    {
        >= 1UL << 30 => (bytes / (double)(1UL << 30)).ToString("0.0", Invariant) + " GiB",
        >= 1UL << 20 => (bytes / (double)(1UL << 20)).ToString("0.0", Invariant) + " MiB",
        >= 1UL << 10 => (bytes / (double)(1UL << 10)).ToString("0.0", Invariant) + " KiB",
        _ => bytes.ToString(Invariant) + " B",
    };

    /// <summary>"42s", "5m", "3h", "2d": the coarse uptime `pm2 ls` shows.</summary>
    public static string Duration(TimeSpan span) => span.TotalSeconds switch
    {
        < 0 => "-",
        < 60 => ((int)span.TotalSeconds).ToString(Invariant) + "s",
        < 3600 => ((int)span.TotalMinutes).ToString(Invariant) + "m",
        < 86400 => ((int)span.TotalHours).ToString(Invariant) + "h",
        _ => ((int)span.TotalDays).ToString(Invariant) + "d",
    };

    public static string Time(Timestamp? at) => at is null ? "-" : at.ToDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", Invariant);

    public static string Clock(Timestamp? at) => at is null ? "-" : at.ToDateTimeOffset().ToLocalTime().ToString("HH:mm:ss", Invariant);

    public static string Percent(double fraction) => (fraction * 100).ToString("0.##", Invariant) + " %";

    public static string Number(double value, string format = "0.#") => value.ToString(format, Invariant);

    public static string Escape(string text) => Markup.Escape(text);

    /// <summary>A 20-cell bar for a weight: "█████░░░░░░░░░░░░░░░" (or '#'/'.' where Unicode is not safe).</summary>
    public static string Bar(uint percent, bool unicode, int width = 20)
    {
        var filled = (int)Math.Round(Math.Min(percent, 100) * width / 100.0);
        return new string(unicode ? '█' : '#', filled) + new string(unicode ? '░' : '.', width - filled);
    }
}
