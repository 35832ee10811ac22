using System.Runtime.CompilerServices;
using Baton.Agent.Configuration;
using Baton.Agent.Native;
using Baton.Agent.Validation;
using Baton.Protos.Agent.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Logs;

/// <summary>
/// Every instance's stdout/stderr: the FIFOs the apps write into, the rotated log files the
/// agent copies them to, and reading those back (tail, from an offset, follow).
/// </summary>
/// <remarks>
/// Layout per instance, under <see cref="AgentOptions.InstancesDir"/>/&lt;id&gt;/:
/// stdout.pipe / stderr.pipe (FIFOs), stdout.log (current), stdout.log.1 … .N (older first at
/// higher numbers), stdout.start (inode and history offset of stdout.log); the same for stderr.
/// Disposing the store leaves all of it, including unread bytes in the pipes, for the next agent.
/// </remarks>
internal sealed class LogStore : Instances.ILogPipes, IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, InstanceLogs> _instances = new(StringComparer.Ordinal);
    private readonly AgentOptions _options;
    private readonly EpollLoop _loop;
    private readonly ILogger<LogStore> _logger;
    private bool _disposed;

    public LogStore(AgentOptions options, EpollLoop loop, ILogger<LogStore> logger)
    {
        _options = options;
        _loop = loop;
        _logger = logger;
    }

    /// <summary>
    /// Makes the instance's FIFOs exist and be read, creating what is missing and re-attaching to
    /// what exists (an app that kept running while no agent did). Call before the first spawn.
    /// </summary>
    public InstanceLogPaths Open(string instanceId)
    {
        NameValidator.Require(instanceId, "instance_id");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_instances.TryGetValue(instanceId, out var logs))
            {
                var directory = InstanceDirectory(instanceId);
                if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("instance logs need Linux FIFOs");
                // Apps print secrets more often than they should: only the agent's user may look inside.
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                logs = new InstanceLogs(instanceId, directory, _options.LogMaxBytes, _options.LogRetainedFiles, _logger);
                _instances.Add(instanceId, logs);
            }
            return logs.Attach(_loop);
        }
    }

    /// <summary>
    /// Copies what is still in the instance's pipes into its logs. Call after the process exited, so
    /// its last lines are on disk before anyone reads them. Unknown or closed instances have nothing to flush.
    /// </summary>
    public Task FlushAsync(string instanceId)
    {
        InstanceLogs? logs;
        lock (_gate) _instances.TryGetValue(instanceId, out logs);
        // Off the caller's thread: the caller may be the epoll loop reporting the exit, and a full pipe is a megabyte to copy.
        return logs is null ? Task.CompletedTask : Task.Run(logs.Flush);
    }

    /// <summary>Stops reading the instance's pipes and closes every descriptor; files and followers stay.</summary>
    public void Close(string instanceId)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue(instanceId, out var logs)) logs.Detach();
        }
    }

    /// <summary>Closes the instance's logs, ends its followers and removes its folder (pipes and logs).</summary>
    public void Delete(string instanceId)
    {
        NameValidator.Require(instanceId, "instance_id");
        lock (_gate)
        {
            if (_instances.Remove(instanceId, out var logs)) logs.Dispose();
            var directory = InstanceDirectory(instanceId);
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Reads an instance's output: from the last <c>tail_lines</c> lines, from <c>from_offset</c>
    /// (moved up to the oldest kept byte if older ones were rotated away, down to the end if beyond it),
    /// or else from the end; then up to the end as of the call, or with <c>follow</c> on until cancelled
    /// (the enumeration then throws <see cref="OperationCanceledException"/>) or the instance is deleted.
    /// </summary>
    /// <remarks>
    /// An instance this agent has not opened is still readable when its folder holds logs (it stopped before an agent restart).
    /// Both streams: each starts per these rules on its own offsets; without follow stdout comes first, then stderr.
    /// </remarks>
    public async IAsyncEnumerable<LogChunk> ReadAsync(ReadLogsRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        NameValidator.Require(request.InstanceId, "instance_id");
        if (request.TailLines > 0 && request.HasFromOffset)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "tail_lines and from_offset exclude each other: set at most one"));
        LogStream[] streams = request.Stream switch
        {
            LogStream.Unspecified => [LogStream.Stdout, LogStream.Stderr],
            LogStream.Stdout or LogStream.Stderr => [request.Stream],
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"stream {request.Stream} is not a log stream")),
        };
        var logs = Find(request.InstanceId)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"instance \"{request.InstanceId}\" has no logs on this agent"));

        // Every starting point is fixed before the first byte goes out, so both streams start at the same moment.
        var sources = new List<Func<CancellationToken, IAsyncEnumerable<LogChunk>>>();
        foreach (var stream in streams)
        {
            var file = logs.File(stream);
            var (oldest, end) = file.Bounds();
            long start;
            if (request.HasFromOffset)
                start = request.FromOffset >= (ulong)end ? end : Math.Max(oldest, (long)request.FromOffset);
            else
                start = await LineTail.FindStartAsync(file, end, (int)Math.Min(request.TailLines, int.MaxValue), ct);
            long? stop = request.Follow ? null : end;
            sources.Add(token => LogReader.ReadStreamAsync(logs.InstanceId, stream, file, start, stop, token));
        }

        var chunks = sources.Count == 1 || !request.Follow
            ? Concat(sources, ct)
            : LogReader.MergeAsync(sources, ct);
        await foreach (var chunk in chunks.WithCancellation(ct))
            yield return chunk;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            var failures = new List<Exception>();
            foreach (var logs in _instances.Values)
            {
                try
                {
                    logs.Dispose();
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
            }
            _instances.Clear();
            if (failures.Count > 0) throw new AggregateException("Closing some instance logs failed", failures);
        }
    }

    private string InstanceDirectory(string instanceId) => Path.Combine(_options.InstancesDir, instanceId);

    private InstanceLogs? Find(string instanceId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_instances.TryGetValue(instanceId, out var logs)) return logs;
            var directory = InstanceDirectory(instanceId);
            if (!File.Exists(Path.Combine(directory, "stdout.log")) && !File.Exists(Path.Combine(directory, "stderr.log")))
                return null;
            // Logs left by an instance no agent attached since (it ended before the restart): readable, not attached.
            logs = new InstanceLogs(instanceId, directory, _options.LogMaxBytes, _options.LogRetainedFiles, _logger);
            logs.Detach();
            _instances.Add(instanceId, logs);
            return logs;
        }
    }

    private static async IAsyncEnumerable<LogChunk> Concat(IEnumerable<Func<CancellationToken, IAsyncEnumerable<LogChunk>>> sources,
        [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var source in sources)
        {
            await foreach (var chunk in source(ct).WithCancellation(ct))
                yield return chunk;
        }
    }
}
