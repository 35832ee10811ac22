using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.State;

/// <summary>
/// Reads and writes the state file atomically (write a temp file, rename), so an agent crash
/// at any moment leaves either the previous or the new content, never a torn one.
/// There is deliberately no fsync: the file exists to survive the agent process dying, and
/// the rename is atomic for that. What fsync adds is survival of a power loss, and after one
/// no instance is running anyway: at worst the next agent finds an old or unreadable file,
/// sets it aside and starts empty, and the orchestrator relaunches. Not paying ~8 ms of fsync
/// on every launch keeps launch latency close to a bare fork/exec (docs/benchmarks.md).
/// Saves are coalesced: many changes in a burst become one write, and a caller that needs its
/// change on disk awaits <see cref="SaveAsync"/>, which completes once a write that started
/// after the call has finished.
/// </summary>
internal sealed class AgentStateFile(string path, Func<AgentState> snapshot, ILogger<AgentStateFile> logger) : IDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private long _requested;
    private long _written;

    /// <summary>The saved state; null when there is none, or when it is unreadable (then it is kept aside for inspection).</summary>
    public AgentState? Load()
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, AgentStateJsonContext.Default.AgentState)
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            var aside = $"{path}.unreadable-{DateTime.UtcNow:yyyyMMddHHmmss}";
            File.Move(path, aside, overwrite: true);
            logger.LogError(e, "State file {Path} is unreadable (moved to {Aside}); starting without adopted instances", path, aside);
            return null;
        }
    }

    /// <summary>Persists soon, without waiting.</summary>
    public void RequestSave() => _ = SaveAsync().ContinueWith(
        t => logger.LogError(t.Exception, "Writing the state file {Path} failed", path),
        TaskContinuationOptions.OnlyOnFaulted);

    public async Task SaveAsync()
    {
        var ticket = Interlocked.Increment(ref _requested);
        await _writeLock.WaitAsync();
        try
        {
            if (Interlocked.Read(ref _written) >= ticket) return; // a write that began after our request covered it
            var covers = Interlocked.Read(ref _requested);
            Write(snapshot());
            Interlocked.Exchange(ref _written, covers);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Write(AgentState state)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, state, AgentStateJsonContext.Default.AgentState);
        }
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose() => _writeLock.Dispose();
}
