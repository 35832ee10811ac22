using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Cli;

/// <summary>
/// `baton promote|pause|resume|abort|rollback APP`: one operator request about the app's deploy.
/// The five differ only in the RPC and the help text, so they are one command made five times.
/// </summary>
public static class DeployActionCommand
{
    public delegate AsyncUnaryCall<Deploy> Call(Protos.Orchestrator.V1.Orchestrator.OrchestratorClient client, DeployActionRequest request, CancellationToken cancellationToken);

    public static IEnumerable<Command> CreateAll(CliEnvironment environment) =>
    [
        Create(environment, "promote", "Jump the running deploy straight to 100 % on the new release",
            (c, r, ct) => c.PromoteAsync(r, cancellationToken: ct)),
        Create(environment, "pause", "Hold the running deploy at its current step",
            (c, r, ct) => c.PauseAsync(r, cancellationToken: ct)),
        Create(environment, "resume", "Continue a paused deploy (or pass a manual gate)",
            (c, r, ct) => c.ResumeAsync(r, cancellationToken: ct)),
        Create(environment, "abort", "Roll the running deploy back",
            (c, r, ct) => c.AbortAsync(r, cancellationToken: ct)),
        Create(environment, "rollback", "Return a finished app to its previous release",
            (c, r, ct) => c.RollbackAsync(r, cancellationToken: ct), canWatch: true),
    ];

    private static Command Create(CliEnvironment environment, string name, string description, Call call, bool canWatch = false)
    {
        var appArgument = CommonArguments.App();
        var command = new Command(name, description) { appArgument };
        var watchOption = canWatch ? new Option<bool>("--watch", "-w") { Description = "Follow the rollback until it ends; exit 1 if it fails" } : null;
        if (watchOption is not null) command.Add(watchOption);

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var app = parseResult.GetRequiredValue(appArgument);
            var deploy = await call(session.Client, new DeployActionRequest { App = app }, cancellationToken);
            // An app never deployed has no deploy to describe: the server's message is the whole answer.
            var what = deploy.Id.Length == 0 ? "" : $"{DeployRendering.Title(deploy)}: {DeployRendering.Phase(deploy.Phase)}";
            await session.Out.WriteLineAsync(
                what.Length == 0 ? $"{app}: {deploy.Message}"
                : deploy.Message.Length > 0 ? $"{what} ({deploy.Message})"
                : what);
            if (watchOption is not null && parseResult.GetValue(watchOption))
                return await DeployWatcher.FollowToEndAsync(session, app, deploy, cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }
}
