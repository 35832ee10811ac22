using Baton.Orchestrator.Tests.Cli;
using Baton.Orchestrator.Tests.EndToEnd;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Tests.Hosting;

/// <summary>
/// One `baton server` per data dir: a second one on other ports but the same data dir ends with one
/// line and exit 75 before opening the store, the first one serves on, and the lock dies with its
/// holder, so a server started after a SIGKILL takes the data dir over at once.
/// </summary>
public sealed class DataDirLockTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("baton-server-lock-").FullName;
    private OrchestratorProcess _server = null!;

    public async Task InitializeAsync() => _server = await OrchestratorProcess.StartAsync(_dataDir);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_dir_is_one_line_on_stderr_and_exit_75_and_the_first_serves_on()
    {
        await _server.Api.AddAgentAsync(new AddAgentRequest { Name = "host-a", Address = "127.0.0.1:1" });
        var filesBefore = Files();

        // Other ports, below the ephemeral range and in one block so no two are the same: the binds
        // succeed, and the data dir is what refuses the start.
        var free = LoopbackPorts.FreeBlock(2);
        var second = await BatonCli.RunAsync(["server", "--data-dir", _dataDir, "--listen", $"127.0.0.1:{free}", "--xds-listen", $"127.0.0.1:{free + 1}"]);

        Assert.True(second.ExitCode == 75, second.ToString());
        Assert.Equal($"baton server: the data dir {_dataDir} is in use by another baton server (pid {_server.Pid})\n", second.Stderr);
        Assert.Equal("", second.Stdout);
        Assert.Equal(filesBefore, Files());
        var agents = await _server.Api.ListAgentsAsync(new ListAgentsRequest());
        Assert.Equal("host-a", Assert.Single(agents.Agents).Name);
    }

    [Fact]
    public async Task After_a_sigkill_a_new_server_takes_the_data_dir_over_at_once()
    {
        await _server.Api.AddAgentAsync(new AddAgentRequest { Name = "host-a", Address = "127.0.0.1:1" });

        _server.Kill();
        await _server.RestartAsync();

        var agents = await _server.Api.ListAgentsAsync(new ListAgentsRequest());
        Assert.Equal("host-a", Assert.Single(agents.Agents).Name);
    }

    private string[] Files() => [.. Directory.EnumerateFileSystemEntries(_dataDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
}
