using System.Text;
using Baton.Protos.Agent.V1;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// Cuts one instance's log chunks into lines. Chunks end anywhere (even inside a UTF-8
/// character), so the unfinished tail of each stream waits for the next chunk of the same stream.
/// </summary>
internal sealed class LogLineSplitter(string agent, string instanceId)
{
    /// <summary>A line this long without a newline is passed on in pieces rather than held without bound.</summary>
    internal const int MaxLineBytes = 64 * 1024;

    private readonly Dictionary<LogStream, List<byte>> _pending = [];

    public IEnumerable<LogLine> Add(LogChunk chunk)
    {
        if (!_pending.TryGetValue(chunk.Stream, out var pending)) _pending[chunk.Stream] = pending = [];
        var lines = new List<LogLine>();
        foreach (var b in chunk.Data.Span)
        {
            if (b == (byte)'\n')
            {
                lines.Add(Line(chunk.Stream, pending));
                continue;
            }
            pending.Add(b);
            if (pending.Count >= MaxLineBytes) lines.Add(Line(chunk.Stream, pending));
        }
        return lines;
    }

    /// <summary>What is left once the agent's stream ended: a last line without its newline.</summary>
    public IEnumerable<LogLine> Flush()
    {
        var lines = _pending.Where(p => p.Value.Count > 0).Select(p => Line(p.Key, p.Value)).ToList();
        return lines;
    }

    private LogLine Line(LogStream stream, List<byte> pending)
    {
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending));
        pending.Clear();
        return new LogLine
        {
            Agent = agent,
            InstanceId = instanceId,
            Stream = stream == LogStream.Stderr ? "stderr" : "stdout",
            Text = text.EndsWith('\r') ? text[..^1] : text,
        };
    }
}
