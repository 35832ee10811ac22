using System.CommandLine;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton agents remove NAME`: removes an agent from the inventory.</summary>
public static class AgentsRemoveCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var nameArgument = new Argument<string>("name") { Description = "The agent's name" };
        var command = new Command("remove", "Remove an agent from the inventory") { nameArgument };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var name = parseResult.GetRequiredValue(nameArgument);
            await session.Client.RemoveAgentAsync(new RemoveAgentRequest { Name = name }, cancellationToken: cancellationToken);
            await session.Out.WriteLineAsync($"agent {name} removed");
            return ExitCodes.Ok;
        });
        return command;
    }
}
