using System.Net;
using System.Net.Sockets;
using Baton.Agent.Tests.Support;

namespace Baton.Agent.Tests.Security;

/// <summary>
/// The real agent on a port something else already listens on: one line naming the setting's flag,
/// the address and the reason, exit 71, and nothing created, adopted or started.
/// </summary>
public sealed class ListenFailureTests
{
    [Theory]
    [InlineData("--listen", "127.0.0.1")]
    [InlineData("--listen", "localhost")]
    [InlineData("--metrics-listen", "127.0.0.1")]
    public async Task A_port_in_use_is_one_line_on_stderr_and_exit_71(string takenFlag, string host)
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var takenPort = ((IPEndPoint)occupant.LocalEndpoint).Port;
        // The other listener's port lies below the ephemeral range: no outgoing connection can take it meanwhile.
        var addresses = new Dictionary<string, string>
        {
            ["--listen"] = $"127.0.0.1:{LoopbackPorts.BelowEphemeral()}",
            ["--metrics-listen"] = $"127.0.0.1:{LoopbackPorts.BelowEphemeral()}",
        };
        addresses[takenFlag] = $"{host}:{takenPort}";
        // A data dir that does not exist yet: the failed start must not create it (no state file, no instance adopted).
        var dataDir = Path.Combine(Path.GetTempPath(), "baton-agent-listen-failure-" + Guid.NewGuid().ToString("n")[..12]);
        // No instance runs; the range only has to stay clear of the listeners' ports (the default 20000-20999 may not).
        var args = new List<string> { "--data-dir", dataDir, "--port-range", "1024-1024" };
        foreach (var (flag, address) in addresses) args.AddRange([flag, address]);

        var result = await ExitingAgent.RunAsync([.. args]);

        try
        {
            Assert.True(result.ExitCode == 71, result.ToString());
            Assert.Equal($"baton-agent: cannot listen on {host}:{takenPort} ({takenFlag}): address already in use\n", result.Stderr);
            Assert.Equal("", result.Stdout);
            Assert.False(Directory.Exists(dataDir), $"the failed start created {dataDir}");
            // A hang guard, not a speed claim: the start gives up at once instead of waiting on anything.
            Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), result.ToString());
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }
}
