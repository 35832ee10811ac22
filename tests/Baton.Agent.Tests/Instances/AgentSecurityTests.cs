using System.Diagnostics;
using Baton.Agent.Tests.Support;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Tests.Instances;

/// <summary>The real agent process with authentication configured, and its refusal to listen unprotected.</summary>
public sealed class AgentSecurityTests
{
    [Fact]
    public async Task WithATokenEveryCallButHealthNeedsIt()
    {
        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, "s3cret-token-for-tests\n");
        try
        {
            await using var agent = await AgentProcess.StartAsync(extraArgs: ["--token-file", tokenFile]);

            var health = await agent.Client.GetHealthAsync(new GetHealthRequest());
            Assert.True(health.Serving);

            var refused = await Assert.ThrowsAsync<RpcException>(() => agent.Client.ListInstancesAsync(new ListInstancesRequest()).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            var wrong = await Assert.ThrowsAsync<RpcException>(() => agent.Client.ListInstancesAsync(new ListInstancesRequest(),
                new Metadata { { "authorization", "Bearer not-the-token" } }).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);

            var ok = await agent.Client.ListInstancesAsync(new ListInstancesRequest(), new Metadata { { "authorization", "Bearer s3cret-token-for-tests" } });
            Assert.Empty(ok.Instances);
            Assert.DoesNotContain("s3cret-token-for-tests", agent.Output.ToString());
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public async Task ListeningBeyondLoopbackWithoutAuthenticationIsRefused()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "baton-agent.dll"), "--listen", $"0.0.0.0:{LoopbackPorts.Ephemeral()}", "--metrics-listen", "off", "--data-dir", Path.GetTempPath() })
            psi.ArgumentList.Add(a);
        using var agent = Process.Start(psi)!;
        var stderr = agent.StandardError.ReadToEndAsync();
        if (!agent.WaitForExit(60_000))
        {
            agent.Kill();
            Assert.Fail("the agent kept running on 0.0.0.0 without authentication");
        }

        Assert.Equal(2, agent.ExitCode);
        Assert.Contains("0.0.0.0", await stderr);
        Assert.Contains("token", await stderr);
    }
}
