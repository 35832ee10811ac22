namespace Baton.Bench.Http;

/// <summary>PM2's run of one scenario: a fresh daemon with v1 in cluster mode, then `pm2 reload` to v2 under load.</summary>
internal static class Pm2Side
{
    public const string Name = "PM2";

    public static async Task<SwitchResult> RunAsync(SwitchScenario scenario, string pm2Dir, HelloReleases releases, CancellationToken cancel)
    {
        await using var pm2 = await Pm2Hello.StartAsync(pm2Dir, releases.V1, cancel);
        var v2 = scenario.BrokenV2 ? releases.BrokenV2 : releases.V2;
        return await SwitchRunner.MeasureAsync(Name, scenario, pm2.Url, c => pm2.ReloadToAsync(v2, c),
            () => [new RssFigure("PM2 daemon (God, also the cluster master)", pm2.DaemonRssBytes())], cancel);
    }
}
