using Baton.Orchestrator.AppSpecs;

namespace Baton.Orchestrator.Tests.AppSpecs;

public sealed class SpecDurationTests
{
    [Theory]
    [InlineData("500ms", 500u)]
    [InlineData("2s", 2000u)]
    [InlineData("1.5s", 1500u)]
    [InlineData("1m", 60_000u)]
    [InlineData("1m30s", 90_000u)]
    [InlineData("1h", 3_600_000u)]
    [InlineData(" 250ms ", 250u)]
    [InlineData("0s", 0u)]
    public void Parses_numbers_with_units(string text, uint expected)
    {
        Assert.True(SpecDuration.TryParse(text, out var ms, out var error), error);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("30", "30 has no unit; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s")]
    [InlineData("2 s", "\"2 s\" is not a duration; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s")]
    [InlineData("1d", "\"1d\" is not a duration; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s")]
    [InlineData("-1s", "\"-1s\" is not a duration; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s")]
    [InlineData("0.5ms", "0.5ms is not a whole number of milliseconds")]
    [InlineData("5000h", "5000h is too long (at most 1193h2m47s295ms)")]
    [InlineData("", "is empty; use a number with a unit: ms, s, m or h, e.g. 500ms, 2s, 1m30s")]
    public void Refuses_what_is_not_a_duration(string text, string expected)
    {
        Assert.False(SpecDuration.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(0u, "0s")]
    [InlineData(500u, "500ms")]
    [InlineData(90_000u, "1m30s")]
    [InlineData(3_600_000u, "1h")]
    [InlineData(3_601_001u, "1h1s1ms")]
    public void Formats_the_shortest_exact_form(uint ms, string expected)
    {
        Assert.Equal(expected, SpecDuration.Format(ms));
        Assert.True(SpecDuration.TryParse(expected, out var back, out _));
        Assert.Equal(ms, back);
    }

    [Theory]
    [InlineData("stpes", "steps")]
    [InlineData("nmae", "name")]
    [InlineData("working-dir", "working_dir")]
    [InlineData("xyz", null)]
    public void Suggests_the_nearest_key(string unknown, string? expected) =>
        Assert.Equal(expected, KeySuggester.Suggest(unknown, ["name", "steps", "working_dir", "env"]));
}
