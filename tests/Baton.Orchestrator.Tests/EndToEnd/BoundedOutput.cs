using System.Text;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>The last lines a child process wrote, bounded, for a failing test's message.</summary>
internal sealed class BoundedOutput(int maxChars = 40_000)
{
    private readonly StringBuilder _text = new();

    /// <summary>Takes one line (null, the end of a stream, is ignored); safe from the output and error readers at once.</summary>
    public void Append(string? line)
    {
        if (line is null) return;
        lock (_text)
        {
            _text.AppendLine(line);
            if (_text.Length > maxChars) _text.Remove(0, _text.Length - maxChars);
        }
    }

    public override string ToString()
    {
        lock (_text) return _text.ToString();
    }
}
