using System.CommandLine;
using Baton.Orchestrator.Hosting;

namespace Baton.Orchestrator.Cli;

/// <summary>
/// `baton`'s command line: `server` runs the control plane, every other command is a client of
/// its API. Building it touches no ASP.NET Core, gRPC channel or Spectre type, so the fixed cost
/// of a client command is parsing plus one call.
/// </summary>
public static class BatonCommandLine
{
    public static RootCommand CreateCommand(Func<ServerOptions, CancellationToken, Task<int>> runServer, CliEnvironment? environment = null)
    {
        environment ??= CliEnvironment.Process;
        var root = new RootCommand("baton: zero-downtime deploys. `baton server` runs the control plane; every other command talks to it.")
        {
            ServerCommand.Create(runServer),
            ApplyCommand.Create(environment),
            PlanCommand.Create(environment),
            DeployCommand.Create(environment),
            StatusCommand.Create(environment),
            HistoryCommand.Create(environment),
        };
        foreach (var action in DeployActionCommand.CreateAll(environment)) root.Add(action);
        root.Add(PsCommand.Create(environment));
        root.Add(LogsCommand.Create(environment));
        root.Add(AgentsCommand.Create(environment));
        root.Add(DataPlanesCommand.Create(environment));
        root.Add(EnvoyCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs. As in the agent, a malformed command line (unknown command or flag,
    /// missing argument, failed validation) ends with one line on stderr and exit code 2 instead
    /// of System.CommandLine's help dump and exit code 1.
    /// </summary>
    public static async Task<int> InvokeAsync(
        string[] args,
        Func<ServerOptions, CancellationToken, Task<int>> runServer,
        CliEnvironment? environment = null,
        TextWriter? output = null,
        TextWriter? error = null,
        CancellationToken cancellationToken = default)
    {
        var parseResult = CreateCommand(runServer, environment).Parse(args);
        error ??= Console.Error;
        if (parseResult.Errors.Count > 0)
        {
            // An unknown word also makes "required command was not provided"; the word is the real news.
            var first = parseResult.Errors.FirstOrDefault(e => parseResult.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal)))
                ?? parseResult.Errors[0];
            await error.WriteLineAsync($"baton: {first.Message.ReplaceLineEndings(" ")} (see baton {CommandPath(parseResult)}--help)");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error,
        };
        // The server's host handles SIGTERM/SIGINT itself (graceful shutdown); System.CommandLine's
        // handler would cancel the run and then cut the shutdown short after its timeout. Client
        // commands keep it: Ctrl+C cancels the call, and leaves a watch without touching the deploy.
        if (parseResult.CommandResult.Command.Name == ServerCommand.Name) invocation.ProcessTerminationTimeout = null;
        return await parseResult.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>"deploy " for `baton deploy --bogus`, so the hint points at the right help.</summary>
    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
            names.Insert(0, result.Command.Name);
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }
}
