using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.Support;

/// <summary>A test class with its own real agent, the test app installed as release demo/v1.</summary>
public abstract class AgentTestBase(int portCount = 50) : IAsyncLifetime
{
    protected AgentProcess Agent { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Agent = await AgentProcess.StartAsync(portCount);
        await Agent.InstallTestReleaseAsync();
    }

    public virtual async Task DisposeAsync() => await Agent.DisposeAsync();

    protected async Task<IList<InstanceStatus>> ListAsync() => (await Agent.Client.ListInstancesAsync(new ListInstancesRequest())).Instances;

    /// <summary>Polls ListInstances until the instance satisfies <paramref name="done"/>.</summary>
    protected Task<InstanceStatus> WaitForAsync(string id, Func<InstanceStatus, bool> done, string what) =>
        Eventually.MatchAsync(
            async () => (await ListAsync()).FirstOrDefault(i => i.Spec.InstanceId == id)!,
            s => s is not null && done(s), $"{id}: {what}");
}
