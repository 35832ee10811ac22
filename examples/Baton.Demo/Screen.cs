namespace Baton.Demo;

/// <summary>The demo's own output: a few headed sections, indented lines under them, and a copy of all of it in the run's log.</summary>
internal sealed class Screen(TextWriter output, string logPath) : IDisposable
{
    private readonly StreamWriter _log = new(logPath, append: true) { AutoFlush = true };
    private readonly Lock _lock = new();

    public void Section(string title)
    {
        Write("");
        Write($"== {title}");
    }

    /// <summary>One line under the current section.</summary>
    public void Line(string text) => Write("   " + text);

    /// <summary>A command as the user would type it, then its output under it.</summary>
    public void Command(string commandLine) => Write("   $ " + commandLine);

    /// <summary>A line printed by a command.</summary>
    public void Output(string text) => Write("     " + text);

    /// <summary>An unindented line (the start and end of the demo).</summary>
    public void Write(string text)
    {
        lock (_lock)
        {
            output.WriteLine(text);
            output.Flush();
            _log.WriteLine(text);
        }
    }

    public void Dispose() => _log.Dispose();
}
