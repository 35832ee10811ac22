using Baton.Agent.Configuration;
using Baton.Agent.Instances;
using Baton.Agent.Native;

namespace Baton.Agent.Logs;

/// <summary>Interim FIFO drain until the rotating log store lands.</summary>
internal sealed unsafe class SimpleLogPipes(AgentOptions options, EpollLoop loop) : ILogPipes
{
    private readonly Dictionary<string, List<int>> _fds = [];

    public (string Stdout, string Stderr) Open(string instanceId)
    {
        var dir = Path.Combine(options.InstancesDir, instanceId);
        Directory.CreateDirectory(dir);
        var paths = (Path.Combine(dir, "stdout.pipe"), Path.Combine(dir, "stderr.pipe"));
        lock (_fds)
        {
            if (_fds.ContainsKey(instanceId)) return paths;
            var fds = new List<int>();
            foreach (var (pipe, log) in new[] { (paths.Item1, "stdout.log"), (paths.Item2, "stderr.log") })
            {
                var p = Libc.Utf8z(pipe);
                fixed (byte* pp = p)
                {
                    if (!File.Exists(pipe)) Libc.mkfifo(pp, 0x180);
                    var rd = Libc.open(pp, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
                    var wr = Libc.open(pp, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
                    fds.Add(rd);
                    fds.Add(wr);
                    var file = new FileStream(Path.Combine(dir, log), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                    loop.Register(rd, _ =>
                    {
                        var buffer = stackalloc byte[65536];
                        while (true)
                        {
                            var n = Libc.read(rd, buffer, 65536);
                            if (n <= 0) break;
                            file.Write(new ReadOnlySpan<byte>(buffer, (int)n));
                        }
                        file.Flush();
                    });
                }
            }
            _fds[instanceId] = fds;
        }
        return paths;
    }

    public Task FlushAsync(string instanceId) => Task.CompletedTask;

    public void Close(string instanceId)
    {
        lock (_fds)
        {
            if (!_fds.Remove(instanceId, out var fds)) return;
            for (var i = 0; i < fds.Count; i += 2) loop.Unregister(fds[i]);
            foreach (var fd in fds) Libc.close(fd);
        }
    }

    public void Delete(string instanceId)
    {
        Close(instanceId);
        var dir = Path.Combine(options.InstancesDir, instanceId);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
