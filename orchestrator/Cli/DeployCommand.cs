using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Cli;

/// <summary>
/// `baton deploy APP (--version V | --artifact FILE [--version V]) [--watch]`: uploads the artifact
/// if one is given, starts the deploy, and with --watch follows it to the end (exit 1 if it rolled back).
/// </summary>
public static class DeployCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var appArgument = CommonArguments.App();
        var versionOption = new Option<string>("--version")
        {
            Description = "The release to deploy; with --artifact it defaults to the file name's version (web-v2.tar.gz → v2)",
            HelpName = "V",
        };
        var artifactOption = new Option<FileInfo>("--artifact")
        {
            Description = "Upload this release artifact (tar.gz) first",
            HelpName = "FILE",
        }.AcceptExistingOnly();
        var watchOption = new Option<bool>("--watch", "-w") { Description = "Follow the deploy until it ends; exit 1 if it rolls back" };
        var command = new Command("deploy", "Deploy a release of an app, optionally uploading its artifact first")
        {
            appArgument, versionOption, artifactOption, watchOption,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(versionOption) is null && result.GetValue(artifactOption) is null)
                result.AddError("deploy needs --version V or --artifact FILE");
        });

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var app = parseResult.GetRequiredValue(appArgument);
            var version = parseResult.GetValue(versionOption);
            if (parseResult.GetValue(artifactOption) is { } artifact)
            {
                version ??= ArtifactUpload.VersionFromFileName(app, artifact.Name)
                    ?? throw CliErrors.Usage($"cannot tell the version from the file name '{artifact.Name}'; pass --version");
                var uploaded = await ArtifactUpload.UploadAsync(session.Client, app, version, artifact.FullName, cancellationToken);
                var shortSha = uploaded.Sha256.Length > 12 ? uploaded.Sha256[..12] : uploaded.Sha256;
                await session.Out.WriteLineAsync(uploaded.AlreadyPresent
                    ? $"artifact {app} {version} already on the server (sha256 {shortSha})"
                    : $"uploaded {app} {version} ({Format.Bytes((ulong)artifact.Length)}, sha256 {shortSha})");
            }

            var deploy = await session.Client.StartDeployAsync(new DeployRequest { App = app, Version = version ?? throw new InvalidOperationException("the validator lets no deploy through without --version or --artifact") }, cancellationToken: cancellationToken);
            await session.Out.WriteLineAsync($"started {DeployRendering.Title(deploy)} ({Steps(deploy)})");
            if (!parseResult.GetValue(watchOption))
            {
                await session.Out.WriteLineAsync($"follow it with `baton status {app}`");
                return ExitCodes.Ok;
            }
            return await DeployWatcher.FollowToEndAsync(session, app, deploy, cancellationToken);
        });
        return command;
    }

    private static string Steps(Deploy deploy) => deploy.Steps switch
    {
        0 => "steps to be planned",
        1 => "1 step",
        var n => $"{n} steps",
    };
}
