using System.CommandLine;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton apply -f FILE [--dry-run]`: creates or updates an app from its YAML spec.</summary>
public static class ApplyCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var fileOption = new Option<string>("--file", "-f")
        {
            Description = "The app's YAML spec ('-' reads standard input)",
            HelpName = "FILE",
            Required = true,
        };
        var dryRunOption = new Option<bool>("--dry-run") { Description = "Only validate the spec; store nothing" };
        var command = new Command("apply", "Create or update an app from its YAML spec") { fileOption, dryRunOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var path = parseResult.GetRequiredValue(fileOption);
            var dryRun = parseResult.GetValue(dryRunOption);
            var (yaml, sourceName) = await ReadSpecAsync(path, cancellationToken);
            var reply = await session.Client.ApplyAppAsync(
                new ApplyAppRequest { SpecYaml = yaml, SourceName = sourceName, DryRun = dryRun },
                cancellationToken: cancellationToken);
            var name = reply.App?.Spec?.Name ?? "(unnamed)";
            await session.Out.WriteLineAsync(dryRun
                ? $"app {name}: spec is valid; applying it would leave the app {reply.Outcome} (dry run, nothing stored)"
                : $"app {name} {reply.Outcome} (generation {reply.App?.Generation ?? 0})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<(string Yaml, string SourceName)> ReadSpecAsync(string path, CancellationToken cancellationToken)
    {
        if (path == "-") return (await Console.In.ReadToEndAsync(cancellationToken), "<stdin>");
        try
        {
            return (await File.ReadAllTextAsync(path, cancellationToken), Path.GetFileName(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliErrors.Usage($"--file: cannot read '{path}': {e.Message}");
        }
    }
}
