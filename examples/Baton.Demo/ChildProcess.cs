using System.Diagnostics;

namespace Baton.Demo;

/// <summary>
/// A process the demo started. Its stdout and stderr go to a log file, and line by line to the
/// optional observers. Disposing stops it if it still runs, so no path out of the demo leaves it behind.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pumps;

    private ChildProcess(string name, Process process, string logPath, Action<string>? onStdout, Action<string>? onStderr)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        // Appending: the CLI's calls share one log file.
        _log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _pumps = Task.WhenAll(Pump(process.StandardOutput, onStdout), Pump(process.StandardError, onStderr));
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="fileName"/> with an argument array (no shell), stdin redirected only when asked.</summary>
    public static ChildProcess Start(
        string name, string fileName, IEnumerable<string> arguments, string logPath,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? onStdout = null, Action<string>? onStderr = null, bool redirectStdin = false)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) startInfo.Environment[key] = value;
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new DemoFailedException($"could not start {name} ({fileName})");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DemoFailedException($"could not start {name}: {fileName}: {e.Message} (is it installed and on PATH?)");
        }
        return new ChildProcess(name, process, logPath, onStdout, onStderr);
    }

    /// <summary>Writes one line to the process's stdin (started with redirectStdin).</summary>
    public async Task WriteLineAsync(string line)
    {
        try
        {
            await _process.StandardInput.WriteLineAsync(line);
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException e)
        {
            var why = _process.HasExited ? $"it exited with code {ExitCodeOrSignal()}" : e.Message;
            throw new DemoFailedException($"could not send '{line}' to {Name}: {why}; see {LogPath}");
        }
    }

    /// <summary>"1", or "SIGINT" for a process a signal ended (the shell's 128+N convention, which Process reports).</summary>
    private string ExitCodeOrSignal() => _process.ExitCode switch
    {
        130 => "130 (SIGINT)",
        137 => "137 (SIGKILL)",
        143 => "143 (SIGTERM)",
        var code => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Waits for the exit and for the last line of its output.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        await _pumps.WaitAsync(ct);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then SIGKILL once <paramref name="grace"/> has passed: .NET hosts shut down cleanly when they can.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        Posix.Signal(_process.Id, Posix.SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Note($"{Name} still running {grace.TotalSeconds:0} s after SIGTERM; killing it");
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public void Kill()
    {
        // Only this process: the agent's instances are stopped by group, see InstanceReaper.
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
            // The pipes close with the process; a bounded wait keeps a stray grandchild holding them from hanging the demo.
            await _pumps.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            Note($"output of {Name} still open after it exited; not waiting for it");
        }
        finally
        {
            await _log.DisposeAsync();
            _process.Dispose();
        }
    }

    /// <summary>A line of the demo's own in the log, between the process's lines.</summary>
    private void Note(string message)
    {
        lock (_log) _log.WriteLine($"[demo] {message}");
    }

    private async Task Pump(StreamReader reader, Action<string>? observer)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log) _log.WriteLine(line);
            observer?.Invoke(line);
        }
    }
}
