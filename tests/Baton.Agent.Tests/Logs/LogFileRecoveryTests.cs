using System.Text;
using Baton.Agent.Logs;
using Baton.Protos.Agent.V1;
using Xunit.Abstractions;

namespace Baton.Agent.Tests.Logs;

/// <summary>
/// An agent can die at any step of a rotation. These tests stop a rotation by hand at each step
/// and check that the next agent still gives every kept byte its original offset.
/// </summary>
public sealed class LogFileRecoveryTests : IDisposable
{
    // 35 distinct bytes: with 10-byte files, .2 = [10,20), .1 = [20,30), stdout.log = [30,35).
    private const string History = "abcdefghijABCDEFGHIJklmnopqrstKLMNO";
    private readonly string _dir = Directory.CreateTempSubdirectory("baton-logfile-").FullName;
    private readonly TestLogger _logger;

    public LogFileRecoveryTests(ITestOutputHelper output) => _logger = new TestLogger(output);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private LogFile NewLog() => new(_dir, "stdout", maxBytes: 10, retainedFiles: 2, _logger);

    private void WriteHistory()
    {
        using var log = NewLog();
        log.Append(Encoding.ASCII.GetBytes(History));
        Assert.Equal((10L, 35L), log.Bounds());
    }

    private static async Task<string> ReadFrom(LogFile log, long offset)
    {
        var (_, end) = log.Bounds();
        var chunks = new List<LogChunk>();
        await foreach (var chunk in LogReader.ReadStreamAsync("x", LogStream.Stdout, log, offset, end, CancellationToken.None))
            chunks.Add(chunk);
        return Encoding.ASCII.GetString(LogTestHost.Concat(chunks));
    }

    [Fact]
    public async Task AFreshStartAndAPlainReopenKeepOffsets()
    {
        WriteHistory();
        using var log = NewLog();
        Assert.Equal((10L, 35L), log.Bounds());
        Assert.Equal(History[12..], await ReadFrom(log, 12));
        Assert.Empty(_logger.Problems);
    }

    [Fact]
    public async Task CutShortWhileShiftingRotatedFiles()
    {
        WriteHistory();
        // Oldest deleted and .1 moved to .2, but stdout.log not moved yet: a gap at .1.
        File.Delete(P("stdout.log.2"));
        File.Move(P("stdout.log.1"), P("stdout.log.2"));

        using var log = NewLog();
        Assert.Equal((20L, 35L), log.Bounds());
        Assert.Equal(History[20..], await ReadFrom(log, 0));
        log.Append("PQRSTUVWXYZ"u8);
        Assert.Equal(History[30..] + "PQRSTUVWXYZ", await ReadFrom(log, 30));
        Assert.Empty(_logger.Problems);
    }

    [Fact]
    public async Task CutShortAfterMovingTheCurrentFile()
    {
        WriteHistory();
        File.Delete(P("stdout.log.2"));
        File.Move(P("stdout.log.1"), P("stdout.log.2"));
        File.Move(P("stdout.log"), P("stdout.log.1"));

        using var log = NewLog();
        Assert.Equal((20L, 35L), log.Bounds());
        Assert.Equal(History[20..], await ReadFrom(log, 20));
        log.Append("PQ"u8);
        Assert.Equal((20L, 37L), log.Bounds());
        Assert.Equal("PQ", File.ReadAllText(P("stdout.log")));
        Assert.Empty(_logger.Problems);
    }

    [Fact]
    public async Task CutShortAfterCreatingTheNewFileButBeforeRecordingIt()
    {
        WriteHistory();
        File.Delete(P("stdout.log.2"));
        File.Move(P("stdout.log.1"), P("stdout.log.2"));
        File.Move(P("stdout.log"), P("stdout.log.1"));
        File.WriteAllText(P("stdout.log"), "");

        using var log = NewLog();
        Assert.Equal((20L, 35L), log.Bounds());
        Assert.Equal(History[25..], await ReadFrom(log, 25));
        Assert.Empty(_logger.Problems);
    }

    [Fact]
    public async Task RetentionShrinkDropsTheOldestFilesOnly()
    {
        WriteHistory();
        using var log = new LogFile(_dir, "stdout", maxBytes: 10, retainedFiles: 1, _logger);
        Assert.False(File.Exists(P("stdout.log.2")));
        Assert.Equal((20L, 35L), log.Bounds());
        Assert.Equal(History[20..], await ReadFrom(log, 0));
    }
}
