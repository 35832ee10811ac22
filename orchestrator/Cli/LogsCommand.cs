using System.CommandLine;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton logs APP [-f] [--tail N]`: the app's instances' output, merged, each line prefixed with its instance.</summary>
public static class LogsCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var appArgument = CommonArguments.App();
        var followOption = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until Ctrl+C" };
        var tailOption = new Option<uint>("--tail", "-n") { Description = "Start with the last N lines of each instance (0: the server's default)", HelpName = "N" };
        var command = new Command("logs", "Print an app's logs, merged from its instances") { appArgument, followOption, tailOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var follow = parseResult.GetValue(followOption);
            var request = new StreamLogsRequest
            {
                App = parseResult.GetRequiredValue(appArgument),
                Follow = follow,
                TailLines = parseResult.GetValue(tailOption),
            };
            using var call = session.Client.StreamLogs(request, cancellationToken: cancellationToken);
            try
            {
                await foreach (var line in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    // The app's stderr stays stderr, so `baton logs web 2>/dev/null` works as it would locally.
                    var writer = line.Stream == "stderr" ? session.Error : session.Out;
                    await writer.WriteLineAsync($"{line.InstanceId} | {line.Text}");
                }
            }
            catch (Exception e) when (follow && cancellationToken.IsCancellationRequested
                && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // Ctrl+C is how one stops following: the normal end of `logs -f`, not an interruption.
                return ExitCodes.Ok;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
