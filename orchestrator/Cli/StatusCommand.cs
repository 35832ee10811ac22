using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Orchestrator.Deploys;
using Baton.Protos.Orchestrator.V1;
using Spectre.Console;

namespace Baton.Orchestrator.Cli;

/// <summary>
/// `baton status APP [--json]`: the app's live releases, weights and instances, and its current
/// (or last) deploy with its receipt. On a terminal a running deploy is followed live until it
/// ends; in a pipe the snapshot is printed and the command returns at once, so scripts never hang.
/// </summary>
public static class StatusCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var appArgument = CommonArguments.App();
        var jsonOption = CommonArguments.Json();
        var command = new Command("status", "Show an app's releases, weights, instances and its current or last deploy") { appArgument, jsonOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var app = parseResult.GetRequiredValue(appArgument);
            var status = await session.Client.GetStatusAsync(new GetStatusRequest { App = app }, cancellationToken: cancellationToken);
            if (parseResult.GetValue(jsonOption)) return await JsonOutput.WriteAsync(session, status);

            var console = session.Console;
            WriteReleases(console, status);
            if (status.Deploy is not { } deploy)
            {
                console.WriteLine($"{app} has never been deployed");
                return ExitCodes.Ok;
            }
            console.WriteLine();
            if (!DeployPhases.IsFinished(deploy.Phase) && session.IsTerminal)
            {
                var last = await DeployWatcher.FollowAsync(session, app, deploy, cancellationToken) ?? deploy;
                DeployRendering.WriteOutcome(console, last);
                return ExitCodes.Ok;
            }
            console.Write(DeployRendering.Summary(deploy, console.Profile.Capabilities.Unicode));
            if (deploy.Receipt.Count > 0) console.Write(DeployRendering.Receipt(deploy));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteReleases(IAnsiConsole console, AppStatus status)
    {
        console.WriteLine($"app {status.App}");
        var unicode = console.Profile.Capabilities.Unicode;
        foreach (var w in status.Weights)
            console.WriteLine($"  {w.Version,-8} {Format.Bar(w.Weight, unicode)} {w.Weight,3} %");
        if (status.Instances.Count == 0) return;
        console.Write(InstanceTable.Create(status.Instances, showApp: false));
    }
}
