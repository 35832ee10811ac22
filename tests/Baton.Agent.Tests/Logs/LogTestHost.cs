using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Baton.Agent.Configuration;
using Baton.Agent.Logs;
using Baton.Agent.Native;
using Baton.Protos.Agent.V1;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Baton.Agent.Tests.Logs;

/// <summary>
/// A temp data dir, an epoll loop and a log store, plus the writer processes a test starts;
/// everything is killed and removed on dispose, also when the test failed.
/// </summary>
internal sealed class LogTestHost : IDisposable
{
    // Only there so a broken test fails instead of hanging; no assertion depends on it.
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly List<Process> _processes = [];
    private readonly ITestOutputHelper _output;
    private readonly EpollLoop _loop;

    public LogTestHost(ITestOutputHelper output, long logMaxBytes = 10 * 1024 * 1024, int logRetainedFiles = 5)
    {
        _output = output;
        Root = Directory.CreateTempSubdirectory("baton-logs-").FullName;
        Options = new AgentOptions { DataDir = Root, LogMaxBytes = logMaxBytes, LogRetainedFiles = logRetainedFiles };
        Logger = new TestLogger(output);
        _loop = new EpollLoop(new TestLogger<EpollLoop>(Logger));
        Store = NewStore();
    }

    public string Root { get; }
    public AgentOptions Options { get; }
    public TestLogger Logger { get; }
    public LogStore Store { get; private set; }

    public string Dir(string instanceId) => Path.Combine(Options.InstancesDir, instanceId);

    /// <summary>Drops the store the way a dying agent would (the pipes stay, the writers keep writing) and starts a fresh one.</summary>
    public LogStore RestartStore()
    {
        Store.Dispose();
        Store = NewStore();
        return Store;
    }

    /// <summary>
    /// Runs <paramref name="script"/> under bash as a stand-in for an app: $1 is the stdout FIFO and $2
    /// the stderr FIFO, opened read-write like the launcher does. stdin stays connected to the test.
    /// </summary>
    public Process StartWriter(InstanceLogPaths paths, string script)
    {
        var info = new ProcessStartInfo("/usr/bin/env")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "bash", "-c", "exec 1<>\"$1\" 2<>\"$2\"\n" + script, "writer", paths.StdoutPipe, paths.StderrPipe })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        lock (_processes) _processes.Add(process);
        return process;
    }

    public static async Task WaitForExitAsync(Process process)
    {
        using var cts = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(cts.Token);
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>Everything a non-following read returns, with its chunks checked for contiguous offsets.</summary>
    public async Task<(long Start, byte[] Data, List<LogChunk> Chunks)> ReadAllAsync(ReadLogsRequest request, LogStore? store = null)
    {
        using var cts = new CancellationTokenSource(Patience);
        var chunks = new List<LogChunk>();
        await foreach (var chunk in (store ?? Store).ReadAsync(request, cts.Token))
            chunks.Add(chunk);
        // Offsets are per stream, so contiguity is checked per stream.
        var data = chunks.GroupBy(c => c.Stream).SelectMany(Concat).ToArray();
        return (chunks.Count == 0 ? -1 : (long)chunks[0].Offset, data, chunks);
    }

    public static byte[] Concat(IEnumerable<LogChunk> chunks)
    {
        var buffer = new MemoryStream();
        long? next = null;
        foreach (var chunk in chunks)
        {
            if (next is { } expected) Assert.Equal((ulong)expected, chunk.Offset);
            Assert.InRange(chunk.Data.Length, 1, LogReader.MaxChunkBytes);
            chunk.Data.WriteTo(buffer);
            next = (long)chunk.Offset + chunk.Data.Length;
        }
        return buffer.ToArray();
    }

    public static string Text(byte[] data) => Encoding.UTF8.GetString(data);

    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        var failures = new List<Exception>();
        lock (_processes)
        {
            foreach (var process in _processes)
            {
                try
                {
                    if (!process.HasExited) process.Kill(entireProcessTree: true);
                    process.WaitForExit(Patience);
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
                process.Dispose();
            }
        }
        try
        {
            Store.Dispose();
        }
        catch (Exception e)
        {
            failures.Add(e);
        }
        _loop.Dispose();
        Directory.Delete(Root, recursive: true);
        if (failures.Count > 0) throw new AggregateException(failures);
        var problems = Logger.Problems.ToArray();
        if (problems.Length > 0) Assert.Fail("the store logged problems:\n" + string.Join("\n", problems));
    }

    private LogStore NewStore() => new(Options, _loop, new TestLogger<LogStore>(Logger));
}

/// <summary>Sends log lines to the test output and keeps warnings and errors, which no test expects.</summary>
internal class TestLogger(ITestOutputHelper output) : ILogger
{
    public ConcurrentQueue<string> Problems { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = $"[{logLevel}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}";
        if (logLevel >= LogLevel.Warning) Problems.Enqueue(line);
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // xunit refuses output once the test has finished; the line is still kept in Problems when it matters.
        }
    }
}

internal sealed class TestLogger<T>(TestLogger inner) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        inner.Log(logLevel, eventId, state, exception, formatter);
}
