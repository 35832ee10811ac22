using System.Diagnostics;
using System.Reflection;
using System.Threading.Channels;

namespace Baton.Bench.Xds;

/// <summary>
/// The driver's handle on the server child process: starts it (`host` role of this same program, with the GC
/// settings `baton server` has), talks to its admin hook over stdin/stdout, and kills it, whatever happens.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _replies = Channel.CreateUnbounded<string>();
    private readonly Task _pump;

    private HostProcess(Process process)
    {
        _process = process;
        _pump = Task.Run(PumpAsync);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[server] {e.Data}");
            }
        };
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public Uri Address { get; private set; } = null!;

    public static async Task<HostProcess> StartAsync(IReadOnlyList<KeyValuePair<string, string>> environment, CancellationToken cancellationToken)
    {
        var assembly = Assembly.GetExecutingAssembly().Location;
        var info = new ProcessStartInfo
        {
            FileName = DotnetHost(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        info.ArgumentList.Add("host");
        // No GC settings of its own: the host runs with this program's runtimeconfig (workstation concurrent GC),
        // as `baton server` does; --server-env adds settings to compare.
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server process");
        Running.Add(process);
        var host = new HostProcess(process);
        try
        {
            var ready = await host.ReceiveAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (!ready.StartsWith("ready ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"server said '{ready}' instead of ready");
            }
            host.Address = new Uri(ready["ready ".Length..]);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one admin command and returns its one reply (without the '@').</summary>
    public async Task<string> CommandAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync(command.AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
        var reply = await ReceiveAsync(timeout, cancellationToken);
        if (reply.StartsWith("error", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"server: {reply}");
        }
        return reply;
    }

    private async Task<string> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(timeout);
        try
        {
            return await _replies.Reader.ReadAsync(guard.Token);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the server process exited (code {(_process.HasExited ? _process.ExitCode : -1)})");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server did not answer within {timeout.TotalSeconds:0} s");
        }
    }

    private async Task PumpAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith('@'))
            {
                _replies.Writer.TryWrite(line[1..]);
            }
            else
            {
                Console.Error.WriteLine($"[server] {line}");
            }
        }
        _replies.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already gone.
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        await _pump;
        Running.Remove(_process);
        _process.Dispose();
    }

    /// <summary>Children still running; killed on the way out if the driver ends abnormally.</summary>
    private static readonly HashSet<Process> RunningSet = [];

    private static class Running
    {
        public static void Add(Process process)
        {
            lock (RunningSet)
            {
                RunningSet.Add(process);
            }
        }

        public static void Remove(Process process)
        {
            lock (RunningSet)
            {
                RunningSet.Remove(process);
            }
        }
    }

    public static void KillAll()
    {
        lock (RunningSet)
        {
            foreach (var process in RunningSet)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException)
                {
                    // Exited meanwhile.
                }
            }
            RunningSet.Clear();
        }
    }

    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
    }
}
