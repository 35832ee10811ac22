using Baton.Protos.Orchestrator.V1;
using Grpc.Core;
using Grpc.Net.Client;
using AgentProtos = Baton.Protos.Agent.V1;

namespace Baton.Bench.Deploy;

/// <summary>
/// Two baton-agents and one `baton server`, each with its own temp data dir and only 127.0.0.1
/// ports, wired as an operator would (the agents added by name). Disposing kills the apps' process
/// groups (found by the agents' BATON_AGENT_DATA_DIR marker), the agents and the server.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];
    private readonly List<string> _dataDirs = [];
    private readonly List<GrpcChannel> _channels = [];

    private BenchCluster()
    {
    }

    public required int ApiPort { get; init; }
    public required int XdsPort { get; init; }
    public Orchestrator.OrchestratorClient Api { get; private set; } = null!;
    public List<(string Name, AgentProtos.AgentService.AgentServiceClient Client)> Agents { get; } = [];

    public string ApiAddress => $"http://127.0.0.1:{ApiPort}";

    public static async Task<BenchCluster> StartAsync(BenchPaths paths, int agentCount, CancellationToken cancel)
    {
        var cluster = new BenchCluster { ApiPort = LoopbackPorts.Ephemeral(), XdsPort = LoopbackPorts.Ephemeral() };
        try
        {
            await cluster.StartProcessesAsync(paths, agentCount, cancel);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(BenchPaths paths, int agentCount, CancellationToken cancel)
    {
        var serverData = NewDataDir("baton-bench-server-");
        var (serverFile, serverArgs) = paths.Server;
        Start(new ChildProcess("baton server", serverFile,
            [.. serverArgs, "server", "--listen", $"127.0.0.1:{ApiPort}", "--xds-listen", $"127.0.0.1:{XdsPort}", "--data-dir", serverData]));
        var apiChannel = Channel(ApiAddress);
        Api = new Orchestrator.OrchestratorClient(apiChannel);

        var agentPorts = new List<int>();
        for (var i = 1; i <= agentCount; i++)
        {
            var port = LoopbackPorts.Ephemeral();
            agentPorts.Add(port);
            var data = NewDataDir($"baton-bench-agent{i}-");
            var (agentFile, agentArgs) = paths.Agent;
            // Disjoint port ranges, away from the kernel's ephemeral range the bench's own ports come from.
            var range = $"{23000 + i * 1000}-{23000 + i * 1000 + 999}";
            Start(new ChildProcess($"agent a{i}", agentFile,
                [.. agentArgs, "--listen", $"127.0.0.1:{port}", "--metrics-listen", "off", "--data-dir", data, "--port-range", range]));
            var client = new AgentProtos.AgentService.AgentServiceClient(Channel($"http://127.0.0.1:{port}"));
            await WaitUntilAsync($"agent a{i}", () => client.GetHealthAsync(new AgentProtos.GetHealthRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancel).ResponseAsync, cancel);
            Agents.Add(($"a{i}", client));
        }
        await WaitUntilAsync("baton server", () => Api.ListAgentsAsync(new ListAgentsRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancel).ResponseAsync, cancel);
        for (var i = 0; i < Agents.Count; i++)
            await Api.AddAgentAsync(new AddAgentRequest { Name = Agents[i].Name, Address = $"127.0.0.1:{agentPorts[i]}" }, cancellationToken: cancel);
    }

    private ChildProcess Start(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private GrpcChannel Channel(string address)
    {
        var channel = GrpcChannel.ForAddress(address);
        _channels.Add(channel);
        return channel;
    }

    private string NewDataDir(string prefix)
    {
        var dir = Directory.CreateTempSubdirectory(prefix).FullName;
        _dataDirs.Add(dir);
        return dir;
    }

    private async Task WaitUntilAsync(string what, Func<Task> probe, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await probe();
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline && _processes.All(p => !p.HasExited))
            {
                await Task.Delay(100, cancel);
            }
            catch (RpcException e)
            {
                throw new InvalidOperationException($"{what} did not come up ({e.Status.StatusCode}); output:\n{string.Join("\n", _processes.Select(p => $"--- {p.Name}\n{p.Output}"))}");
            }
        }
    }

    public string Output => string.Join("\n", _processes.Select(p => $"--- {p.Name}\n{p.Output}"));

    public async ValueTask DisposeAsync()
    {
        // The apps run in their own sessions and outlive their agent: kill their groups first.
        foreach (var dir in _dataDirs)
            foreach (var pid in ProcFs.SessionLeadersWithEnvironment($"BATON_AGENT_DATA_DIR={dir}"))
                ProcFs.SignalGroup(pid, ProcFs.SigKill);
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        foreach (var channel in _channels) channel.Dispose();
        foreach (var dir in _dataDirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // a FIFO still held by a dying instance: left for the OS's temp cleanup
            }
        }
    }
}
