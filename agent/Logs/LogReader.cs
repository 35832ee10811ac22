using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Baton.Protos.Agent.V1;
using Google.Protobuf;

namespace Baton.Agent.Logs;

/// <summary>Turns a stream's byte history into <see cref="LogChunk"/>s, from a start offset to a stop offset or, following, forever.</summary>
internal static class LogReader
{
    public const int MaxChunkBytes = 64 * 1024;

    /// <summary>
    /// Streams <paramref name="file"/> from <paramref name="start"/> to <paramref name="stop"/>, or with no stop
    /// keeps waiting for new bytes until cancelled or the log is disposed. Rotation never makes it skip or repeat a byte;
    /// only bytes rotated away before they were read are skipped, as they no longer exist.
    /// </summary>
    public static async IAsyncEnumerable<LogChunk> ReadStreamAsync(string instanceId, LogStream stream, LogFile file,
        long start, long? stop, [EnumeratorCancellation] CancellationToken ct)
    {
        LogCursor? cursor = null;
        var position = start;
        try
        {
            while (stop is not { } limit || position < limit)
            {
                ct.ThrowIfCancellationRequested();
                var probe = file.Probe(position, ref cursor);
                if (probe.Ended) yield break;
                position = probe.Position;
                var end = stop is { } s ? Math.Min(s, probe.ReadableEnd) : probe.ReadableEnd;
                if (position < end)
                {
                    var buffer = new byte[(int)Math.Min(MaxChunkBytes, end - position)];
                    var n = await RandomAccess.ReadAsync(cursor!.Handle, buffer, position - cursor.Start, ct);
                    if (n == 0) throw new IOException($"{file.Name} of {instanceId} ended before offset {end} (truncated outside the agent?)");
                    yield return new LogChunk
                    {
                        InstanceId = instanceId,
                        Stream = stream,
                        Offset = (ulong)position,
                        // The buffer is never touched again, so it can back the message without a copy.
                        Data = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, n)),
                    };
                    position += n;
                }
                else if (probe.Changed is { } changed)
                {
                    if (stop is not null) yield break;
                    await changed.WaitAsync(ct);
                }
                // Otherwise the cursor's file was rotated out and is read to its end: the next probe opens the next one.
            }
        }
        finally
        {
            cursor?.Dispose();
        }
    }

    /// <summary>Interleaves several streams in the order their bytes become available; used for following both streams.</summary>
    public static async IAsyncEnumerable<LogChunk> MergeAsync(IReadOnlyList<Func<CancellationToken, IAsyncEnumerable<LogChunk>>> sources,
        [EnumeratorCancellation] CancellationToken ct)
    {
        // Small bound: a slow client holds the readers back instead of piling chunks up in memory.
        var channel = Channel.CreateBounded<LogChunk>(new BoundedChannelOptions(4) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pumps = sources.Select(source => PumpAsync(source(stop.Token), channel.Writer, stop.Token)).ToArray();
        var all = Task.WhenAll(pumps);
        var completion = all.ContinueWith(t => channel.Writer.TryComplete(t.Exception?.GetBaseException()),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync(ct))
                yield return chunk;
        }
        finally
        {
            await stop.CancelAsync();
            // Pumps end quietly on cancellation and their failures reached the reader through the channel.
            await completion;
        }
    }

    private static async Task PumpAsync(IAsyncEnumerable<LogChunk> source, ChannelWriter<LogChunk> writer, CancellationToken ct)
    {
        try
        {
            await foreach (var chunk in source.WithCancellation(ct))
                await writer.WriteAsync(chunk, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The merge is being torn down (client gone or the other stream failed); nothing was lost.
        }
        catch (Exception e)
        {
            // Completing here, not when all pumps end, because a following pump never ends by itself.
            writer.TryComplete(e);
            throw;
        }
    }
}
