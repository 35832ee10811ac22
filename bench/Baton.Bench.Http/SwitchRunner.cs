using System.Diagnostics;

namespace Baton.Bench.Http;

/// <summary>Runs a scenario's load against a side's URL and, <see cref="SwitchScenario.LeadIn"/> into it, that side's switch.</summary>
internal static class SwitchRunner
{
    public static async Task<SwitchResult> MeasureAsync(string side, SwitchScenario scenario, string url,
        Func<CancellationToken, Task<CommandResult>> doSwitch, Func<IReadOnlyList<RssFigure>> rss, CancellationToken cancel)
    {
        Console.WriteLine($"  {side} ({scenario.Key}) {scenario.Title}: {scenario.Load.Describe()} → {url}");
        var clock = Stopwatch.StartNew();
        // The load's offsets count from its own start (hey's: a few ms after this; NoRetryLoad's: just
        // before it returns): the switch window is placed on the load's clock from here, so it may
        // start up to that much early (never late).
        var load = scenario.Load.Client == LoadClient.NoRetry ? NoRetryLoad.RunAsync(url, scenario.Load, cancel) : Hey.RunCsvAsync(url, scenario.Load, cancel);
        var loadStartedMs = clock.Elapsed.TotalMilliseconds;
        await Task.Delay(SwitchScenario.LeadIn, cancel);

        var switchStartMs = clock.Elapsed.TotalMilliseconds - loadStartedMs;
        var switched = await doSwitch(cancel);
        var switchEndMs = clock.Elapsed.TotalMilliseconds - loadStartedMs;
        Console.WriteLine($"    switch took {switched.Elapsed.TotalMilliseconds:0} ms, exit {switched.ExitCode}");

        var run = await load;
        var loadEndMs = clock.Elapsed.TotalMilliseconds - loadStartedMs;
        var servingAfter = await HelloProbe.WhoAnswersAsync(url, cancel);
        var result = new SwitchResult(side, scenario, run, switchStartMs, switchEndMs, loadEndMs, switched, servingAfter, rss());
        Console.WriteLine($"    {run.Requested} requests, {run.Failed} failed ({run.ConnectionErrors} connection errors, {run.Non2xx} non-2xx{(run.ErrorKinds is { Length: > 0 } kinds ? $"; {kinds}" : "")}); p99 during the switch {result.P99DuringSwitchMs:0.0} ms; serving after: {servingAfter}");
        return result;
    }
}
