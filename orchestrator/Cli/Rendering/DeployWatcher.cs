using Baton.Protos.Orchestrator.V1;
using Grpc.Core;
using Spectre.Console;

namespace Baton.Orchestrator.Cli.Rendering;

/// <summary>
/// Follows WatchDeploy until the deploy ends: redrawn in place on a terminal, one line per change
/// elsewhere (pipes, CI logs, tests), then the outcome and the receipt.
/// </summary>
public static class DeployWatcher
{
    /// <summary>Returns the last state the server sent (null if it sent none).</summary>
    public static async Task<Deploy?> FollowAsync(CliSession session, string app, Deploy? initial, CancellationToken cancellationToken)
    {
        using var call = session.Client.WatchDeploy(new WatchDeployRequest { App = app }, cancellationToken: cancellationToken);
        var last = initial;
        if (session.IsTerminal)
        {
            var unicode = session.Console.Profile.Capabilities.Unicode;
            var live = session.Console.Live(initial is null ? new Text("waiting for the deploy…") : DeployRendering.Summary(initial, unicode));
            await live.StartAsync(async context =>
            {
                await foreach (var deploy in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    last = deploy;
                    context.UpdateTarget(DeployRendering.Summary(deploy, unicode));
                    context.Refresh();
                }
            });
        }
        else
        {
            string? previous = null;
            await foreach (var deploy in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                last = deploy;
                var line = DeployRendering.ProgressLine(deploy);
                // The stream also reports changes no line shows (timestamps, receipts' load): print only what reads differently.
                if (line == previous) continue;
                await session.Out.WriteLineAsync(line);
                previous = line;
            }
        }
        return last;
    }

    /// <summary>Follows the deploy, prints its outcome and receipt, and turns how it ended into the exit code.</summary>
    public static async Task<int> FollowToEndAsync(CliSession session, string app, Deploy? initial, CancellationToken cancellationToken)
    {
        var last = await FollowAsync(session, app, initial, cancellationToken);
        if (last is null)
            throw CliErrors.Failed($"the server sent no deploy of {app} to watch");
        DeployRendering.WriteOutcome(session.Console, last);
        return last.Phase switch
        {
            DeployPhase.Succeeded => ExitCodes.Ok,
            DeployPhase.RolledBack => throw CliErrors.Failed($"{DeployRendering.Title(last)} rolled back: {last.Reason}"),
            _ => throw CliErrors.Failed($"the server ended the watch while {DeployRendering.Title(last)} was {DeployRendering.Phase(last.Phase)}; see `baton status {app}`"),
        };
    }
}
