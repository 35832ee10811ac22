using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Baton.Orchestrator.Tests.Cli;

/// <summary>
/// `baton server` on a port something else already listens on: the real process ends with one line
/// naming the flag, the address and the reason, exit 71, and nothing created or started.
/// </summary>
public sealed class ServerListenFailureTests
{
    [Theory]
    [InlineData("--listen")]
    [InlineData("--xds-listen")]
    [InlineData("--metrics-listen")]
    public async Task A_port_in_use_is_one_line_on_stderr_and_exit_71(string takenFlag)
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var takenPort = ((IPEndPoint)occupant.LocalEndpoint).Port;
        // The other listeners' ports lie below the ephemeral range, where no outgoing connection can take
        // them meanwhile, and in one block, so no two are the same.
        var free = LoopbackPorts.FreeBlock(3);
        var ports = new Dictionary<string, int>
        {
            ["--listen"] = free,
            ["--xds-listen"] = free + 1,
            ["--metrics-listen"] = free + 2,
        };
        ports[takenFlag] = takenPort;
        // A data dir that does not exist yet: the failed start must not create it (no store, no half-done state).
        var dataDir = Path.Combine(Path.GetTempPath(), "baton-listen-failure-" + Guid.NewGuid().ToString("n")[..12]);
        var args = new List<string> { "server", "--data-dir", dataDir };
        foreach (var (flag, port) in ports) args.AddRange([flag, $"127.0.0.1:{port}"]);

        var clock = Stopwatch.StartNew();
        var result = await BatonCli.RunAsync([.. args]);
        clock.Stop();

        try
        {
            Assert.True(result.ExitCode == 71, result.ToString());
            Assert.Equal($"baton server: cannot listen on 127.0.0.1:{takenPort} ({takenFlag}): address already in use\n", result.Stderr);
            Assert.Equal("", result.Stdout);
            Assert.False(Directory.Exists(dataDir), $"the failed start created {dataDir}");
            // A hang guard, not a speed claim: the start gives up at once instead of waiting on anything.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed} to give up");
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }
}
