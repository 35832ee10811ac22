using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton ps [APP] [--json]`: every instance on every agent, like `pm2 ls`.</summary>
public static class PsCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var appArgument = CommonArguments.OptionalApp("Only this app's instances");
        var jsonOption = CommonArguments.Json();
        var command = new Command("ps", "List every instance on every agent (agent, id, version, state, pid, port, uptime, restarts, cpu, memory)") { appArgument, jsonOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var app = parseResult.GetValue(appArgument);
            var reply = await session.Client.ListInstancesAsync(new ListInstancesRequest { App = app ?? "" }, cancellationToken: cancellationToken);
            if (parseResult.GetValue(jsonOption)) return await JsonOutput.WriteAsync(session, reply);

            if (reply.Instances.Count == 0) await session.Out.WriteLineAsync(app is null ? "no instances" : $"no instances of {app}");
            else session.Console.Write(InstanceTable.Create(reply.Instances, showApp: app is null));
            // A partial list is still the answer the operator asked for; the gaps go to stderr so pipes see only the table.
            foreach (var (agent, error) in reply.Unreachable.OrderBy(u => u.Key, StringComparer.Ordinal))
                await session.WriteErrorAsync($"agent {agent} did not answer: {error}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
