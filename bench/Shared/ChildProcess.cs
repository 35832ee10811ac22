using System.Diagnostics;
using System.Text;

namespace Baton.Bench.Shared;

/// <summary>
/// A process the benchmark started: output kept (the last lines, for error messages), stdin open
/// for commands, killed with its whole tree on dispose, also when the run failed half way.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();

    public ChildProcess(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        Name = name;
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        _process.OutputDataReceived += (_, e) => Keep(e.Data, isError: false);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data, isError: true);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Called with every stdout line (e.g. the xDS client's JSON events).</summary>
    public Action<string>? OnOutputLine { get; set; }

    public string Output
    {
        get
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    private void Keep(string? line, bool isError)
    {
        if (line is null) return;
        if (!isError) OnOutputLine?.Invoke(line);
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > KeptLines) _lines.Dequeue();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the kill
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"warning: {Name} (pid {_process.Id}) did not exit within 10 s of SIGKILL");
        }
        _process.Dispose();
    }
}
