using System.CommandLine;
using System.Net;
using Baton.Orchestrator.Hosting;

namespace Baton.Orchestrator.Cli;

/// <summary>
/// `baton server`: validates the options (one line on stderr and exit 2 when wrong) and hands them
/// to the run hook, which hosts the control plane (one line and exit 71 when a listener cannot bind,
/// exit 75 when another server holds the data dir).
/// </summary>
public static class ServerCommand
{
    public const string Name = "server";

    public static Command Create(Func<ServerOptions, CancellationToken, Task<int>> run)
    {
        var listenOption = new Option<string>("--listen")
        {
            Description = $"Address of the orchestrator API the CLI talks to [default {ServerOptions.DefaultListen}]",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => ServerOptions.DefaultListen,
        };
        var xdsListenOption = new Option<string>("--xds-listen")
        {
            Description = $"Address of the xDS (ADS) and load-report (LRS) servers the data planes connect to [default {ServerOptions.DefaultXdsListen}]",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => ServerOptions.DefaultXdsListen,
        };
        var dataDirOption = new Option<string>("--data-dir")
        {
            Description = "Folder for the store and uploaded artifacts [default $XDG_STATE_HOME/baton or ~/.local/state/baton]",
            HelpName = "PATH",
        };
        var tokenFileOption = new Option<string>("--token-file")
        {
            Description = "File holding the bearer token API callers must present (required when --listen is not loopback)",
            HelpName = "PATH",
        };
        var agentTokenFileOption = new Option<string>("--agent-token-file")
        {
            Description = "File holding the bearer token to present to the agents",
            HelpName = "PATH",
        };
        var metricsListenOption = new Option<string>("--metrics-listen")
        {
            Description = "Address of an HTTP/1.1 endpoint serving /metrics in Prometheus text format, loopback only (e.g. 127.0.0.1:7001) [default: off]",
            HelpName = "HOST:PORT|off",
        };
        var command = new Command(Name, "Run the control plane: the API, the deploy engine, and the xDS and load-report servers")
        {
            listenOption, xdsListenOption, dataDirOption, tokenFileOption, agentTokenFileOption, metricsListenOption,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            ServerOptions options;
            try
            {
                options = Validate(
                    parseResult.GetRequiredValue(listenOption),
                    parseResult.GetRequiredValue(xdsListenOption),
                    parseResult.GetValue(dataDirOption),
                    parseResult.GetValue(tokenFileOption),
                    parseResult.GetValue(agentTokenFileOption),
                    parseResult.GetValue(metricsListenOption));
            }
            catch (CliException e)
            {
                await error.WriteLineAsync($"baton server: {e.Message}");
                return e.ExitCode;
            }
            try
            {
                return await run(options, cancellationToken);
            }
            catch (CliException e)
            {
                // Raised while the server starts (a listener that cannot bind, a data dir in use): the same one line, no stack trace.
                await error.WriteLineAsync($"baton server: {e.Message}");
                return e.ExitCode;
            }
        });
        return command;
    }

    public static ServerOptions Validate(string listen, string xdsListen, string? dataDir, string? tokenFile, string? agentTokenFile, string? metricsListen = null)
    {
        IPEndPoint? metrics = null;
        if (metricsListen is not null && metricsListen != "off")
        {
            metrics = ParseEndpoint("--metrics-listen", metricsListen);
            // The metrics endpoint has no authentication of its own.
            if (!IPAddress.IsLoopback(metrics.Address))
                throw CliErrors.Usage($"--metrics-listen {metricsListen} is not a loopback address; the metrics endpoint has no authentication");
        }
        var api = ParseEndpoint("--listen", listen);
        var xds = ParseEndpoint("--xds-listen", xdsListen);
        tokenFile = ExistingFile("--token-file", tokenFile);
        agentTokenFile = ExistingFile("--agent-token-file", agentTokenFile);
        // Rule of the house: nothing listens beyond loopback without authentication.
        if (!IPAddress.IsLoopback(api.Address) && tokenFile is null)
            throw CliErrors.Usage($"--listen {listen} is not a loopback address: pass --token-file so callers must authenticate");
        if (!IPAddress.IsLoopback(xds.Address))
            throw CliErrors.Usage($"--xds-listen {xdsListen} is not a loopback address; the xDS server has no authentication yet");
        if (api.Equals(xds))
            throw CliErrors.Usage($"--listen and --xds-listen are both {listen}; they need their own ports");
        var dataDirectory = Path.GetFullPath(dataDir ?? ServerOptions.DefaultDataDir());
        if (metrics is not null && (metrics.Equals(api) || metrics.Equals(xds)))
            throw CliErrors.Usage($"--metrics-listen {metricsListen} needs a port of its own");
        return new ServerOptions(api, xds, dataDirectory, tokenFile, agentTokenFile, metrics);
    }

    /// <summary>An IP literal ([IPv6] in brackets) or "localhost", then ":port"; other host names are refused because "is it loopback?" must not depend on DNS.</summary>
    private static IPEndPoint ParseEndpoint(string flag, string text)
    {
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
            && ushort.TryParse(text.AsSpan("localhost:".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
            return new IPEndPoint(IPAddress.Loopback, port);
        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal))
            return endpoint;
        throw CliErrors.Usage($"{flag} '{text}' is not HOST:PORT with HOST an IP address, [IPv6] or localhost");
    }

    private static string? ExistingFile(string flag, string? path)
    {
        if (path is null) return null;
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw CliErrors.Usage($"{flag} '{path}' does not exist");
        return full;
    }
}
