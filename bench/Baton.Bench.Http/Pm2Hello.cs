using System.Globalization;
using System.Text.Json;

namespace Baton.Bench.Http;

/// <summary>
/// PM2's side: the pinned PM2 (bench/pm2) with a PM2_HOME of its own, running the hello app in
/// cluster mode (`pm2 start server.js -i 2`: the daemon is the cluster master that accepts and hands
/// out the connections; both workers share one port). A switch copies the new release's files over
/// the app folder (each file renamed into place) and runs `pm2 reload hello`. Disposing runs
/// `pm2 kill` and SIGKILLs whatever it left.
/// </summary>
internal sealed class Pm2Hello : IAsyncDisposable
{
    private const string AppName = "hello";
    private readonly string _pm2Cli;
    private readonly string _home;
    private readonly string _appDir;
    private readonly Dictionary<string, string> _environment;

    private Pm2Hello(string pm2Dir, int port)
    {
        _pm2Cli = Path.Combine(pm2Dir, "node_modules", "pm2", "bin", "pm2");
        _home = Directory.CreateTempSubdirectory("baton-bench-pm2-").FullName;
        _appDir = Path.Combine(_home, "app");
        Port = port;
        // PM2 passes the CLI's environment to the app: that is how PORT reaches it (PM2 sets none).
        _environment = new Dictionary<string, string> { ["PM2_HOME"] = _home, ["PORT"] = port.ToString(CultureInfo.InvariantCulture) };
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/";

    public static string Version(string pm2Dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(pm2Dir, "node_modules", "pm2", "package.json")));
        return doc.RootElement.GetProperty("version").GetString() ?? "?";
    }

    public static async Task<Pm2Hello> StartAsync(string pm2Dir, string release, CancellationToken cancel)
    {
        var pm2 = new Pm2Hello(pm2Dir, LoopbackPorts.Ephemeral());
        try
        {
            Directory.CreateDirectory(pm2._appDir);
            pm2.Install(release);
            await CommandLine.RunCheckedAsync("node", [pm2._pm2Cli, "start", Path.Combine(pm2._appDir, "server.js"), "-i", "2", "--name", AppName],
                TimeSpan.FromSeconds(60), cancel, pm2._environment, pm2._appDir);
            await HelloProbe.WaitForAsync(pm2.Url, "v1", times: 10, TimeSpan.FromSeconds(30), cancel);
            return pm2;
        }
        catch
        {
            await pm2.DisposeAsync();
            throw;
        }
    }

    /// <summary>The switch: the new code in place, then `pm2 reload hello` (its duration is the switch time).</summary>
    public Task<CommandResult> ReloadToAsync(string release, CancellationToken cancel)
    {
        Install(release);
        return CommandLine.RunAsync("node", [_pm2Cli, "reload", AppName], TimeSpan.FromSeconds(60), cancel, _environment, _appDir);
    }

    /// <summary>RSS of the PM2 daemon (God), which in cluster mode is also the master holding the listening socket.</summary>
    public long DaemonRssBytes() => ProcFs.RssBytes(DaemonPid() ?? throw new InvalidOperationException("no PM2 daemon pid"));

    private int? DaemonPid()
    {
        var file = Path.Combine(_home, "pm2.pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
    }

    /// <summary>Each file written beside its target, then renamed over it, so a worker never loads half a file.</summary>
    private void Install(string release)
    {
        foreach (var file in Directory.GetFiles(release))
        {
            var target = Path.Combine(_appDir, Path.GetFileName(file));
            File.Copy(file, target + ".next", overwrite: true);
            File.Move(target + ".next", target, overwrite: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CommandLine.RunAsync("node", [_pm2Cli, "kill"], TimeSpan.FromSeconds(20), CancellationToken.None, _environment, _home);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"pm2 kill failed ({e.Message}); killing its processes directly");
        }
        var pidFiles = Directory.Exists(Path.Combine(_home, "pids")) ? Directory.GetFiles(Path.Combine(_home, "pids"), "*.pid").ToList() : [];
        pidFiles.Add(Path.Combine(_home, "pm2.pid"));
        foreach (var file in pidFiles.Where(File.Exists))
        {
            if (int.TryParse(File.ReadAllText(file).Trim(), out var pid) && ProcFs.IsAlive(pid)) ProcFs.Signal(pid, ProcFs.SigKill);
        }
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // a socket or log of a dying process: left for the OS's temp cleanup
        }
    }
}
