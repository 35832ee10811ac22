using System.Text;

namespace Baton.Orchestrator.Cli.Rendering;

/// <summary>
/// Spectre pads every table cell to its column's width, which leaves trailing spaces on each line.
/// On a terminal they are invisible; in a pipe they break `grep 'ready$'` and diffs. This writer,
/// used only when stdout is not a terminal, holds each line and writes it without them.
/// </summary>
public sealed class PlainTextWriter(TextWriter inner) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            WriteLine();
            return;
        }
        _line.Append(value);
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        foreach (var c in value) Write(c);
    }

    public override void WriteLine()
    {
        var end = _line.Length;
        while (end > 0 && _line[end - 1] is ' ' or '\r') end--;
        inner.Write(_line.ToString(0, end));
        inner.Write('\n');
        _line.Clear();
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        WriteLine();
    }

    public override void Flush()
    {
        if (_line.Length > 0)
        {
            inner.Write(_line.ToString());
            _line.Clear();
        }
        inner.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }
}
