using System.CommandLine;
using Baton.Agent.Security;
using Baton.Hosting;

namespace Baton.Agent.Configuration;

/// <summary>
/// The agent's command line. The root command's action loads and validates the configuration
/// (file &lt; environment &lt; flags) and hands the result to the agent's own run delegate; any
/// configuration error becomes one line on stderr and exit code 2 before anything starts, and a
/// listener that cannot bind one line and exit code 71.
/// </summary>
public static class AgentCommandLine
{
    /// <summary>
    /// The exit code when another process holds the data dir's lock (<see cref="DataDirInUseException"/>):
    /// sysexits.h's EX_TEMPFAIL, the resource is busy, and the same start succeeds once its holder has
    /// stopped. Distinct from a port that cannot bind (71), so a supervisor or a person can tell them apart.
    /// </summary>
    public const int DataDirInUseExitCode = 75;

    /// <summary>
    /// Creates the root command. <paramref name="environment"/> defaults to the process's
    /// BATON_AGENT_* variables; tests pass their own.
    /// </summary>
    public static RootCommand CreateCommand(
        Func<AgentOptions, CancellationToken, Task<int>> run,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var command = new RootCommand("baton-agent: launches, watches and stops an app's processes on this host; serves gRPC.");

        var configOption = new Option<string>("--config")
        {
            Description = $"YAML configuration file (or {AgentConfigurationLoader.ConfigFileVariable}). Environment variables and flags override it.",
            HelpName = "PATH",
        };
        command.Add(configOption);

        var flagOptions = new List<(string Key, Option<string> Option)>();
        foreach (var setting in AgentConfigurationLoader.Settings)
        {
            if (setting.Flag is null) continue;
            var option = new Option<string>(setting.Flag)
            {
                Description = $"{setting.FlagDescription} [{setting.Variable}]",
                HelpName = setting.FlagValueName,
            };
            command.Add(option);
            flagOptions.Add((setting.Key, option));
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stderr = parseResult.InvocationConfiguration.Error;
            AgentOptions options;
            try
            {
                var flags = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (key, option) in flagOptions)
                {
                    if (parseResult.GetValue(option) is { } value) flags[key] = value;
                }
                var loader = new AgentConfigurationLoader(environment ?? AgentConfigurationLoader.ReadProcessEnvironment(), workingDirectory);
                options = loader.Load(parseResult.GetValue(configOption), flags);
                var result = AgentOptionsValidator.Validate(options);
                foreach (var warning in result.Warnings)
                    await stderr.WriteLineAsync($"baton-agent: warning: {OneLine(warning)}");
                if (result.Errors.Count > 0)
                    throw new AgentConfigurationException(string.Join("; ", result.Errors));
            }
            catch (AgentConfigurationException e)
            {
                await stderr.WriteLineAsync($"baton-agent: {OneLine(e.Message)}");
                return AgentConfigurationException.ExitCode;
            }
            try
            {
                return await run(options, cancellationToken);
            }
            catch (AgentConfigurationException e)
            {
                // Raised while the host starts (listener setup, reading the token file): still the
                // operator's configuration, so the same one line and exit code, not a stack trace.
                await stderr.WriteLineAsync($"baton-agent: {OneLine(e.Message)}");
                return AgentConfigurationException.ExitCode;
            }
            catch (CannotListenException e)
            {
                // A port in use or privileged: expected on a host, so one line and its own code, not a stack trace.
                await stderr.WriteLineAsync($"baton-agent: {OneLine(e.Message)}");
                return CannotListenException.ExitCode;
            }
            catch (DataDirInUseException e)
            {
                // Another agent runs on this data dir: expected on a host, so one line and its own code.
                await stderr.WriteLineAsync($"baton-agent: {OneLine(e.Describe("baton-agent"))}");
                return DataDirInUseExitCode;
            }
        });

        return command;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command. Unlike invoking the parse result
    /// directly, a malformed command line (unknown flag, missing value) also ends with one line
    /// on stderr and exit code 2, instead of System.CommandLine's help dump and exit code 1.
    /// </summary>
    public static async Task<int> InvokeAsync(
        string[] args,
        Func<AgentOptions, CancellationToken, Task<int>> run,
        IReadOnlyDictionary<string, string?>? environment = null,
        TextWriter? output = null,
        TextWriter? error = null,
        CancellationToken cancellationToken = default)
    {
        var command = CreateCommand(run, environment);
        var parseResult = command.Parse(args);
        error ??= Console.Error;
        if (parseResult.Errors.Count > 0)
        {
            await error.WriteLineAsync($"baton-agent: {OneLine(parseResult.Errors[0].Message)} (see --help)");
            return AgentConfigurationException.ExitCode;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error,
            // The agent's host handles SIGTERM/SIGINT itself (graceful shutdown, systemd
            // notifications); System.CommandLine's own handler would cancel the run and then
            // cut the shutdown short after its timeout.
            ProcessTerminationTimeout = null,
        };
        return await parseResult.InvokeAsync(invocation, cancellationToken);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
