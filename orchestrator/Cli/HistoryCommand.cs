using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Protos.Orchestrator.V1;
using Spectre.Console;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton history APP [--limit N] [--json]`: the app's deploys, newest first, each with its receipt.</summary>
public static class HistoryCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var appArgument = CommonArguments.App();
        var limitOption = new Option<uint>("--limit", "-n")
        {
            Description = "How many deploys to show",
            HelpName = "N",
            DefaultValueFactory = _ => 10,
        };
        var jsonOption = CommonArguments.Json();
        var command = new Command("history", "List an app's deploys, newest first, with their receipts") { appArgument, limitOption, jsonOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var app = parseResult.GetRequiredValue(appArgument);
            var reply = await session.Client.ListDeploysAsync(
                new ListDeploysRequest { App = app, Limit = parseResult.GetValue(limitOption) },
                cancellationToken: cancellationToken);
            if (parseResult.GetValue(jsonOption)) return await JsonOutput.WriteAsync(session, reply);

            var console = session.Console;
            if (reply.Deploys.Count == 0)
            {
                console.WriteLine($"{app} has never been deployed");
                return ExitCodes.Ok;
            }
            var table = Tables.Create().AddColumns("id", "kind", "from", "to", "phase", "started", "took", "reason");
            foreach (var d in reply.Deploys)
            {
                table.AddRow(
                    Markup.Escape(d.Id),
                    d.Kind == DeployKind.Rollback ? "rollback" : "deploy",
                    Markup.Escape(d.FromVersion.Length > 0 ? d.FromVersion : "-"),
                    Markup.Escape(d.ToVersion),
                    DeployRendering.PhaseMarkup(d.Phase),
                    Markup.Escape(Format.Time(d.CreatedAt)),
                    d.CreatedAt is not null && d.FinishedAt is not null
                        ? Format.Number((d.FinishedAt.ToDateTimeOffset() - d.CreatedAt.ToDateTimeOffset()).TotalSeconds) + " s"
                        : "-",
                    Markup.Escape(d.Reason));
            }
            console.Write(table);
            foreach (var d in reply.Deploys.Where(d => d.Receipt.Count > 0))
            {
                console.WriteLine();
                console.WriteLine($"receipt of {DeployRendering.Title(d)}");
                console.Write(DeployRendering.Receipt(d));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
