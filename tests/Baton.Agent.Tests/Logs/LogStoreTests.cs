using System.Text;
using Baton.Agent.Logs;
using Baton.Protos.Agent.V1;
using Grpc.Core;
using Xunit.Abstractions;
using static Baton.Agent.Tests.Logs.LogTestHost;

namespace Baton.Agent.Tests.Logs;

public class LogStoreTests(ITestOutputHelper output)
{
    private const string Id = "web-1";

    [Fact]
    public async Task BytesWrittenReachTheFileAndReadAsync()
    {
        using var host = new LogTestHost(output);
        var paths = host.Store.Open(Id);
        Assert.Equal(new InstanceLogPaths(Path.Combine(host.Dir(Id), "stdout.pipe"), Path.Combine(host.Dir(Id), "stderr.pipe")), paths);
        Assert.Equal(paths, host.Store.Open(Id));

        var writer = host.StartWriter(paths, "printf 'hello\\nworld\\n'");
        await WaitForExitAsync(writer);
        await host.Store.FlushAsync(Id);

        Assert.Equal("hello\nworld\n", File.ReadAllText(Path.Combine(host.Dir(Id), "stdout.log")));
        Assert.Equal("", File.ReadAllText(Path.Combine(host.Dir(Id), "stderr.log")));
        var (start, data, _) = await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, FromOffset = 0 });
        Assert.Equal(0, start);
        Assert.Equal("hello\nworld\n", Text(data));
    }

    [Fact]
    public async Task FlushAfterExitGetsTheLastLine()
    {
        using var host = new LogTestHost(output);
        var writer = host.StartWriter(host.Store.Open(Id), "for i in $(seq 1 1000); do echo \"line $i\"; done; printf 'last words'");
        await WaitForExitAsync(writer);
        // No waiting: whatever the loop has not copied yet, the flush copies before it returns.
        await host.Store.FlushAsync(Id);

        var expected = string.Concat(Enumerable.Range(1, 1000).Select(i => $"line {i}\n")) + "last words";
        Assert.Equal(expected, File.ReadAllText(Path.Combine(host.Dir(Id), "stdout.log")));
    }

    [Fact]
    public async Task OutputWrittenWhileClosedIsReadAfterReopening()
    {
        using var host = new LogTestHost(output);
        var paths = host.Store.Open(Id);
        host.Store.Close(Id);
        // The app keeps its pipe alive (it holds it read-write), so its output waits there for the next reader.
        var writer = host.StartWriter(paths, "for i in $(seq 1 1000); do echo \"line $i\"; done; echo done; read -r || true");
        var expected = string.Concat(Enumerable.Range(1, 1000).Select(i => $"line {i}\n")) + "done\n";
        Assert.Equal("", File.ReadAllText(Path.Combine(host.Dir(Id), "stdout.log")));

        host.Store.Open(Id);
        await WaitUntilAsync(() => File.ReadAllText(Path.Combine(host.Dir(Id), "stdout.log")) == expected, "the output written while closed");
        writer.StandardInput.Close();
        await WaitForExitAsync(writer);
    }

    [Fact]
    public async Task TailLinesStartsAtTheLastLines()
    {
        using var host = new LogTestHost(output);
        var writer = host.StartWriter(host.Store.Open(Id), "seq 1 10");
        var open = host.StartWriter(host.Store.Open("web-2"), "printf 'a\\nb\\nc'");
        await WaitForExitAsync(writer);
        await WaitForExitAsync(open);
        await host.Store.FlushAsync(Id);
        await host.Store.FlushAsync("web-2");

        async Task<string> Tail(string id, uint lines) =>
            Text((await host.ReadAllAsync(new ReadLogsRequest { InstanceId = id, Stream = LogStream.Stdout, TailLines = lines })).Data);

        Assert.Equal("8\n9\n10\n", await Tail(Id, 3));
        Assert.Equal("10\n", await Tail(Id, 1));
        Assert.Equal(string.Concat(Enumerable.Range(1, 10).Select(i => $"{i}\n")), await Tail(Id, 100));
        Assert.Equal("b\nc", await Tail("web-2", 2));
        Assert.Equal("c", await Tail("web-2", 1));
        // Neither tail nor offset: from the end, so a read that does not follow gets nothing.
        Assert.Equal("", await Tail(Id, 0));
    }

    [Fact]
    public async Task FromOffsetStartsThereAndBeyondTheEndGivesNothing()
    {
        using var host = new LogTestHost(output);
        var writer = host.StartWriter(host.Store.Open(Id), "printf '0123456789\\nabc\\n'");
        await WaitForExitAsync(writer);
        await host.Store.FlushAsync(Id);

        var (start, data, _) = await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, FromOffset = 4 });
        Assert.Equal(4, start);
        Assert.Equal("456789\nabc\n", Text(data));
        Assert.Empty((await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, FromOffset = 1000 })).Chunks);
    }

    [Fact]
    public async Task FollowDeliversLinesAsTheyComeAndEndsOnCancellation()
    {
        using var host = new LogTestHost(output);
        var writer = host.StartWriter(host.Store.Open(Id), "while IFS= read -r l; do printf '%s\\n' \"$l\"; done");
        await writer.StandardInput.WriteLineAsync("before");
        await writer.StandardInput.FlushAsync();
        await WaitUntilAsync(() => File.ReadAllText(Path.Combine(host.Dir(Id), "stdout.log")) == "before\n", "the first line");

        using var cts = new CancellationTokenSource(Patience);
        var follow = host.Store.ReadAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, Follow = true }, cts.Token)
            .GetAsyncEnumerator(cts.Token);
        try
        {
            // The first MoveNext fixes the starting point (the end), so "before" is not part of what follows.
            var next = follow.MoveNextAsync().AsTask();
            var received = new StringBuilder();
            var chunks = new List<LogChunk>();
            for (var i = 1; i <= 5; i++)
            {
                await writer.StandardInput.WriteLineAsync($"line {i}");
                await writer.StandardInput.FlushAsync();
                while (!received.ToString().EndsWith($"line {i}\n", StringComparison.Ordinal))
                {
                    Assert.True(await next);
                    chunks.Add(follow.Current);
                    received.Append(follow.Current.Data.ToStringUtf8());
                    next = follow.MoveNextAsync().AsTask();
                }
            }
            Assert.Equal("line 1\nline 2\nline 3\nline 4\nline 5\n", received.ToString());
            Assert.Equal(7ul, chunks[0].Offset);
            Assert.Equal(received.ToString(), Text(Concat(chunks)));

            Assert.False(next.IsCompleted);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
        }
        finally
        {
            await follow.DisposeAsync();
        }
    }

    [Fact]
    public async Task RotationKeepsRetainedFilesAndAFollowerGetsEveryByteOnce()
    {
        using var host = new LogTestHost(output, logMaxBytes: 100, logRetainedFiles: 3);
        // Each line read from stdin asks for that many numbered 10-byte lines.
        var writer = host.StartWriter(host.Store.Open(Id),
            "k=0; while IFS= read -r n; do for i in $(seq 1 $n); do k=$((k+1)); printf 'line %04d\\n' $k; done; done");
        var expected = string.Concat(Enumerable.Range(1, 91).Select(i => $"line {i:0000}\n"));

        using var cts = new CancellationTokenSource(Patience);
        var follow = host.Store.ReadAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, FromOffset = 0, Follow = true }, cts.Token)
            .GetAsyncEnumerator(cts.Token);
        var chunks = new List<LogChunk>();
        try
        {
            long received = 0;
            // 130 bytes per step: every step rotates at least once under the follower, which is never
            // further behind than the kept files reach, so it may not miss a byte.
            for (var step = 1; step <= 7; step++)
            {
                await writer.StandardInput.WriteLineAsync("13");
                await writer.StandardInput.FlushAsync();
                while (received < step * 130)
                {
                    Assert.True(await follow.MoveNextAsync());
                    chunks.Add(follow.Current);
                    received += follow.Current.Data.Length;
                }
                Assert.Equal(step * 130, received);
            }
        }
        finally
        {
            await cts.CancelAsync();
            await follow.DisposeAsync();
        }
        Assert.Equal(0ul, chunks[0].Offset);
        Assert.Equal(expected, Text(Concat(chunks)));

        writer.StandardInput.Close();
        await WaitForExitAsync(writer);
        await host.Store.FlushAsync(Id);

        // 910 bytes: nine rotations; .1 to .3 hold 600..899, stdout.log the last 10 bytes.
        var dir = host.Dir(Id);
        Assert.Equal(expected[900..], File.ReadAllText(Path.Combine(dir, "stdout.log")));
        for (var i = 1; i <= 3; i++)
            Assert.Equal(expected[(900 - 100 * i)..(1000 - 100 * i)], File.ReadAllText(Path.Combine(dir, $"stdout.log.{i}")));
        Assert.False(File.Exists(Path.Combine(dir, "stdout.log.4")));

        var all = await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, FromOffset = 0 });
        Assert.Equal(600, all.Start);
        Assert.Equal(expected[600..], Text(all.Data));
        var tail = await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, TailLines = 2 });
        Assert.Equal(890, tail.Start);
        Assert.Equal("line 0090\nline 0091\n", Text(tail.Data));

        // A new agent knows the same offsets.
        var store = host.RestartStore();
        var again = await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, FromOffset = 655 }, store);
        Assert.Equal(655, again.Start);
        Assert.Equal(expected[655..], Text(again.Data));
    }

    [Fact]
    public async Task BothStreamsAreReadAndFollowedEachChunkTagged()
    {
        using var host = new LogTestHost(output);
        var writer = host.StartWriter(host.Store.Open(Id), "while IFS= read -r l; do echo \"out $l\"; echo \"err $l\" >&2; done");
        await writer.StandardInput.WriteLineAsync("1");
        await writer.StandardInput.FlushAsync();
        await WaitUntilAsync(() => File.ReadAllText(Path.Combine(host.Dir(Id), "stderr.log")) == "err 1\n", "the first stderr line");
        await host.Store.FlushAsync(Id);

        var both = await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, FromOffset = 0 });
        Assert.All(both.Chunks, c => Assert.Equal(Id, c.InstanceId));
        Assert.Equal("out 1\n", Text(Concat(both.Chunks.Where(c => c.Stream == LogStream.Stdout))));
        Assert.Equal("err 1\n", Text(Concat(both.Chunks.Where(c => c.Stream == LogStream.Stderr))));
        Assert.DoesNotContain(both.Chunks, c => c.Stream is not (LogStream.Stdout or LogStream.Stderr));

        using var cts = new CancellationTokenSource(Patience);
        var follow = host.Store.ReadAsync(new ReadLogsRequest { InstanceId = Id, Follow = true }, cts.Token).GetAsyncEnumerator(cts.Token);
        var chunks = new List<LogChunk>();
        try
        {
            var next = follow.MoveNextAsync().AsTask();
            await writer.StandardInput.WriteLineAsync("2");
            await writer.StandardInput.FlushAsync();
            string Of(LogStream s) => Text(Concat(chunks.Where(c => c.Stream == s)));
            while (Of(LogStream.Stdout) != "out 2\n" || Of(LogStream.Stderr) != "err 2\n")
            {
                Assert.True(await next);
                chunks.Add(follow.Current);
                next = follow.MoveNextAsync().AsTask();
            }
            Assert.Equal(6ul, chunks.First(c => c.Stream == LogStream.Stdout).Offset);
            Assert.Equal(6ul, chunks.First(c => c.Stream == LogStream.Stderr).Offset);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
        }
        finally
        {
            await follow.DisposeAsync();
        }
    }

    [Fact]
    public async Task ARestartedAgentContinuesWhereTheOldOneStoppedAndReadsWhatWasWrittenMeanwhile()
    {
        using var host = new LogTestHost(output);
        var down = Path.Combine(host.Root, "phase2.done");
        var writer = host.StartWriter(host.Store.Open(Id), $$"""
            n=0; emit() { for i in $(seq 1 $1); do n=$((n+1)); echo "line $n"; done; }
            emit 500; read -r; emit 500; touch '{{down}}'; read -r; emit 500
            """);
        var log = Path.Combine(host.Dir(Id), "stdout.log");
        var lines = (int from, int to) => string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"line {i}\n"));
        await WaitUntilAsync(() => File.ReadAllText(log) == lines(1, 500), "the first 500 lines");

        var store = host.RestartStore();
        // The app writes on while no agent reads: it neither fails nor loses anything, the pipe holds it.
        await writer.StandardInput.WriteLineAsync();
        await writer.StandardInput.FlushAsync();
        await WaitUntilAsync(() => File.Exists(down), "the writes made while no agent read");
        Assert.Equal(lines(1, 500), File.ReadAllText(log));
        // Logs are readable before the new agent adopts the instance.
        Assert.Equal(lines(1, 500), Text((await host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id, Stream = LogStream.Stdout, FromOffset = 0 }, store)).Data));

        store.Open(Id);
        await writer.StandardInput.WriteLineAsync();
        await writer.StandardInput.FlushAsync();
        await WaitForExitAsync(writer);
        await store.FlushAsync(Id);

        Assert.Equal(lines(1, 1500), File.ReadAllText(log));
    }

    [Fact]
    public async Task ARestartUnderContinuousWritesLosesAndRepeatsNoLine()
    {
        using var host = new LogTestHost(output);
        var stop = Path.Combine(host.Root, "stop");
        var writer = host.StartWriter(host.Store.Open(Id), $"n=0; while [ ! -e '{stop}' ]; do n=$((n+1)); echo \"line $n\"; done; echo \"end $n\"");
        var log = Path.Combine(host.Dir(Id), "stdout.log");
        await WaitUntilAsync(() => new FileInfo(log).Length > 50_000, "the writer to get going");

        // Disposed mid-stream; then wait until the writer has provably written more while nobody read.
        var store = host.RestartStore();
        var written = BytesWritten(writer.Id);
        await WaitUntilAsync(() => BytesWritten(writer.Id) > written + 100_000, "writes while no agent reads");

        store.Open(Id);
        var adoptedAt = new FileInfo(log).Length;
        await WaitUntilAsync(() => new FileInfo(log).Length > adoptedAt + 200_000, "the new agent to copy output");
        File.WriteAllText(stop, "");
        await WaitForExitAsync(writer);
        await store.FlushAsync(Id);

        var all = File.ReadAllLines(log);
        Assert.StartsWith("end ", all[^1]);
        var count = int.Parse(all[^1]["end ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(count + 1, all.Length);
        for (var i = 0; i < count; i++)
        {
            if (all[i] != $"line {i + 1}") Assert.Fail($"line {i + 1} of {count} is \"{all[i]}\"");
        }
    }

    [Fact]
    public async Task UnknownInstanceIsNotFoundAndBadRequestsAreInvalid()
    {
        using var host = new LogTestHost(output);
        host.Store.Open(Id);

        async Task<StatusCode> Fails(ReadLogsRequest request) =>
            (await Assert.ThrowsAsync<RpcException>(() => host.ReadAllAsync(request))).StatusCode;

        Assert.Equal(StatusCode.NotFound, await Fails(new ReadLogsRequest { InstanceId = "nope" }));
        Assert.Equal(StatusCode.InvalidArgument, await Fails(new ReadLogsRequest { InstanceId = "../web-1" }));
        Assert.Equal(StatusCode.InvalidArgument, await Fails(new ReadLogsRequest { InstanceId = Id, TailLines = 1, FromOffset = 0 }));
    }

    [Fact]
    public async Task DeleteEndsFollowersAndRemovesTheFolder()
    {
        using var host = new LogTestHost(output);
        host.Store.Open(Id);
        using var cts = new CancellationTokenSource(Patience);
        var follow = host.Store.ReadAsync(new ReadLogsRequest { InstanceId = Id, Follow = true }, cts.Token).GetAsyncEnumerator(cts.Token);
        try
        {
            var next = follow.MoveNextAsync().AsTask();
            host.Store.Delete(Id);
            Assert.False(await next);
        }
        finally
        {
            await follow.DisposeAsync();
        }
        Assert.False(Directory.Exists(host.Dir(Id)));
        Assert.Equal(StatusCode.NotFound,
            (await Assert.ThrowsAsync<RpcException>(() => host.ReadAllAsync(new ReadLogsRequest { InstanceId = Id }))).StatusCode);
    }

    /// <summary>Bytes the process has handed to write(2) so far, from /proc.</summary>
    private static long BytesWritten(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/io").First(l => l.StartsWith("wchar:", StringComparison.Ordinal));
        return long.Parse(line["wchar:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
