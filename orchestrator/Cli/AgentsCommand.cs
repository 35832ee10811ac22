using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Protos.Orchestrator.V1;
using Spectre.Console;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton agents [--json]`: the agent inventory with each agent's health; `agents add` and `agents remove` change it.</summary>
public static class AgentsCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var jsonOption = CommonArguments.Json();
        var command = new Command("agents", "List the agents and their health (see also `agents add`, `agents remove`)") { jsonOption };
        command.Add(AgentsAddCommand.Create(environment));
        command.Add(AgentsRemoveCommand.Create(environment));

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var reply = await session.Client.ListAgentsAsync(new ListAgentsRequest(), cancellationToken: cancellationToken);
            if (parseResult.GetValue(jsonOption)) return await JsonOutput.WriteAsync(session, reply);
            if (reply.Agents.Count == 0)
            {
                await session.Out.WriteLineAsync("no agents; add one with `baton agents add NAME HOST:PORT`");
                return ExitCodes.Ok;
            }

            var table = Tables.Create().AddColumns("name", "address", "health", "last seen", "labels", "error");
            foreach (var a in reply.Agents.OrderBy(a => a.Name, StringComparer.Ordinal))
            {
                table.AddRow(
                    Markup.Escape(a.Name),
                    Markup.Escape(a.Address),
                    a.Health switch
                    {
                        AgentHealth.Reachable => "[green]reachable[/]",
                        AgentHealth.Unreachable => "[red]unreachable[/]",
                        _ => "unknown",
                    },
                    Markup.Escape(Format.Time(a.LastSeen)),
                    Markup.Escape(string.Join(",", a.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))),
                    Markup.Escape(a.Error));
            }
            session.Console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
