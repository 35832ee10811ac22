using Baton.Agent.Releases;

namespace Baton.Agent.Tests.Releases;

public class ArchiveEntryPathTests
{
    [Theory]
    [InlineData("a", "a")]
    [InlineData("./a/b/", "a/b")]
    [InlineData("a//./b", "a/b")]
    [InlineData("./", "")]
    [InlineData(".", "")]
    [InlineData("a..b/..c", "a..b/..c")]
    public void NormalizesSafeNames(string name, string expected)
    {
        Assert.Equal(expected, ArchiveEntryPath.Normalize(name, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("..", "has a '..' component")]
    [InlineData("a/../b", "has a '..' component")]
    [InlineData("/a", "is an absolute path")]
    [InlineData("a\0b", "contains a NUL character")]
    public void RefusesUnsafeNames(string name, string expected)
    {
        Assert.Null(ArchiveEntryPath.Normalize(name, out var problem));
        Assert.Equal(expected, problem);
    }

    [Theory]
    [InlineData("link", "target")]
    [InlineData("link", ".")]
    [InlineData("a/link", "..")]
    [InlineData("a/b/link", "../../c/d")]
    [InlineData("a/b/link", "./../x")]
    public void AcceptsTargetsInside(string link, string target) =>
        Assert.True(ArchiveEntryPath.IsSafeLinkTarget(link, target, out _));

    [Theory]
    [InlineData("link", "..", "points outside")]
    [InlineData("a/link", "../..", "points outside")]
    [InlineData("a/link", "/etc", "absolute path")]
    [InlineData("link", "x/..", "climbs ('..') after descending")]
    [InlineData("a/b/link", "../x/../y", "climbs ('..') after descending")]
    [InlineData("link", "", "empty target")]
    public void RefusesTargetsThatMayEscape(string link, string target, string expected)
    {
        Assert.False(ArchiveEntryPath.IsSafeLinkTarget(link, target, out var problem));
        Assert.Contains(expected, problem);
    }
}
