namespace Baton.Bench.Http;

/// <summary>Baton's run of one scenario: a fresh server + agent + proxy with v1 deployed, then `baton deploy` of v2 under load.</summary>
internal static class BatonSide
{
    public const string Name = "Baton";

    public static async Task<SwitchResult> RunAsync(SwitchScenario scenario, BatonBinaries binaries, string specYaml, HelloReleases releases, CancellationToken cancel)
    {
        await using var stack = await BatonStack.StartAsync(binaries, specYaml, HelloReleases.Artifact(releases.V1), cancel);
        var v2 = HelloReleases.Artifact(scenario.BrokenV2 ? releases.BrokenV2 : releases.V2);
        var result = await SwitchRunner.MeasureAsync(Name, scenario, stack.ProxyUrl, c => stack.DeployAsync(v2, c),
            () =>
            [
                new RssFigure("baton-agent", stack.AgentRssBytes()),
                new RssFigure("baton-proxy", stack.ProxyRssBytes()),
                new RssFigure("baton server (control plane)", stack.ServerRssBytes()),
            ], cancel);
        // A good v2 must have succeeded and a broken one rolled back: anything else is a failed run, not a figure.
        var expectedExit = scenario.BrokenV2 ? 1 : 0;
        if (result.Switch.ExitCode != expectedExit)
            throw new InvalidOperationException($"baton deploy exited {result.Switch.ExitCode}, expected {expectedExit}:\n{result.Switch.Output}\n{stack.Output}");
        return result;
    }
}
