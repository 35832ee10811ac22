using System.CommandLine;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton agents add NAME ADDRESS [--label k=v ...]`: adds (or updates) an agent in the inventory.</summary>
public static class AgentsAddCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var nameArgument = new Argument<string>("name") { Description = "The agent's name (e.g. the host's)" };
        var addressArgument = new Argument<string>("address") { Description = "HOST:PORT of the agent's gRPC endpoint" };
        var labelOption = new Option<string[]>("--label", "-l")
        {
            Description = "A label placement can select on, as key=value; repeat for more",
            HelpName = "KEY=VALUE",
        };
        labelOption.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!IsLabel(token.Value)) result.AddError($"--label '{token.Value}' is not key=value");
            }
        });
        var command = new Command("add", "Add an agent to the inventory") { nameArgument, addressArgument, labelOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var request = new AddAgentRequest
            {
                Name = parseResult.GetRequiredValue(nameArgument),
                Address = parseResult.GetRequiredValue(addressArgument),
            };
            foreach (var label in parseResult.GetValue(labelOption) ?? [])
            {
                var equals = label.IndexOf('=', StringComparison.Ordinal);
                request.Labels[label[..equals]] = label[(equals + 1)..];
            }
            var agent = await session.Client.AddAgentAsync(request, cancellationToken: cancellationToken);
            var health = agent.Health == AgentHealth.Reachable ? "reachable" : agent.Error.Length > 0 ? $"not reachable yet: {agent.Error}" : "not checked yet";
            await session.Out.WriteLineAsync($"agent {agent.Name} at {agent.Address} added ({health})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool IsLabel(string text) => text.IndexOf('=', StringComparison.Ordinal) > 0;
}
