using Baton.Agent.Native;
using Baton.Protos.Agent.V1;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Logs;

/// <summary>One instance's two streams: their log files and, while the instance is attached, their FIFOs.</summary>
internal sealed class InstanceLogs : IDisposable
{
    private readonly object _gate = new();
    private readonly ILogger _logger;
    private LogFifo? _stdoutFifo;
    private LogFifo? _stderrFifo;

    public InstanceLogs(string instanceId, string directory, long maxBytes, int retainedFiles, ILogger logger)
    {
        InstanceId = instanceId;
        Directory = directory;
        _logger = logger;
        Paths = new InstanceLogPaths(Path.Combine(directory, "stdout.pipe"), Path.Combine(directory, "stderr.pipe"));
        Stdout = new LogFile(directory, "stdout", maxBytes, retainedFiles, logger);
        try
        {
            Stderr = new LogFile(directory, "stderr", maxBytes, retainedFiles, logger);
        }
        catch
        {
            Stdout.Dispose();
            throw;
        }
    }

    public string InstanceId { get; }
    public string Directory { get; }
    public InstanceLogPaths Paths { get; }
    public LogFile Stdout { get; }
    public LogFile Stderr { get; }

    public LogFile File(LogStream stream) => stream switch
    {
        LogStream.Stdout => Stdout,
        LogStream.Stderr => Stderr,
        _ => throw new ArgumentOutOfRangeException(nameof(stream), stream, "a single stream is needed"),
    };

    /// <summary>Opens whichever FIFO is not open yet; calling it again changes nothing.</summary>
    public InstanceLogPaths Attach(EpollLoop loop)
    {
        lock (_gate)
        {
            _stdoutFifo ??= LogFifo.Open(Paths.StdoutPipe, Stdout, loop, _logger);
            _stderrFifo ??= LogFifo.Open(Paths.StderrPipe, Stderr, loop, _logger);
            return Paths;
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            _stdoutFifo?.Drain();
            _stderrFifo?.Drain();
        }
    }

    /// <summary>Closes the FIFOs and file handles; followers stay and resume if the instance is attached again.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _stdoutFifo?.Dispose();
            _stderrFifo?.Dispose();
            _stdoutFifo = _stderrFifo = null;
            Stdout.ReleaseHandle();
            Stderr.ReleaseHandle();
        }
    }

    /// <summary>Detaches and ends every follower.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stdoutFifo?.Dispose();
            _stderrFifo?.Dispose();
            _stdoutFifo = _stderrFifo = null;
            Stdout.Dispose();
            Stderr.Dispose();
        }
    }
}
