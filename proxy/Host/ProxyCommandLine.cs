using System.CommandLine;

using Baton.Proxy.Hosting;

namespace Baton.Proxy.Host;

/// <summary>
/// `baton-proxy`'s command line. Bad input ends with one line on stderr and exit code 2 before
/// anything starts, as the agent's does.
/// </summary>
public static class ProxyCommandLine
{
    public const int ConfigurationErrorExitCode = 2;

    public static async Task<int> InvokeAsync(string[] args, Func<ProxyOptions, CancellationToken, Task<int>> run,
        TextWriter? output = null, TextWriter? error = null)
    {
        error ??= Console.Error;
        var defaults = new ProxyOptions();
        var xds = new Option<string>("--xds")
        {
            Description = $"The orchestrator's xDS endpoint, http://HOST:PORT (default {defaults.XdsServer.GetLeftPart(UriPartial.Authority)}).",
            HelpName = "URL",
        };
        var node = new Option<string>("--node")
        {
            Description = $"node.id this proxy reports as (default {defaults.NodeId}).",
            HelpName = "NAME",
        };
        var apps = new Option<string>("--apps")
        {
            Description = "Comma-separated apps to front (default: every app the orchestrator serves).",
            HelpName = "APP[,APP]",
        };
        var listenAddress = new Option<string>("--listen-address")
        {
            Description = "Bind every listener on this address instead of the one served (e.g. 127.0.0.1).",
            HelpName = "ADDRESS",
        };
        var command = new RootCommand("baton-proxy: Baton's data plane for hosts without Envoy; routes HTTP and gRPC to the releases the orchestrator serves over xDS.")
        {
            xds, node, apps, listenAddress,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ProxyOptions options;
            try
            {
                options = ProxyOptionsParser.Parse(
                    parse.GetValue(xds), parse.GetValue(node), parse.GetValue(apps), parse.GetValue(listenAddress));
            }
            catch (ArgumentException e)
            {
                await error.WriteLineAsync($"baton-proxy: {e.Message}");
                return ConfigurationErrorExitCode;
            }
            return await run(options, cancellationToken);
        });

        var parseResult = command.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            await error.WriteLineAsync($"baton-proxy: {parseResult.Errors[0].Message} (see --help)");
            return ConfigurationErrorExitCode;
        }
        return await parseResult.InvokeAsync(new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error,
            // The host handles SIGTERM/SIGINT itself and drains in-flight requests.
            ProcessTerminationTimeout = null,
        });
    }
}
