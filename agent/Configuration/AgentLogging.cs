using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Baton.Agent.Configuration;

public static class AgentLoggingExtensions
{
    /// <summary>
    /// Replaces the logging providers with one console logger in the chosen format: text lines
    /// with UTC timestamps, or one JSON object per line for log shippers. Call it after
    /// UseSystemd()/AddSystemd(), whose console setup it overrides on purpose: the format is the
    /// operator's choice, under systemd as anywhere else.
    /// </summary>
    public static ILoggingBuilder AddAgentConsole(this ILoggingBuilder logging, AgentLogFormat format)
    {
        logging.ClearProviders();
        // ASP.NET Core logs every request at Information; with Prometheus scraping and the
        // orchestrator polling, that would bury the agent's own events in the journal.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        switch (format)
        {
            case AgentLogFormat.Json:
                logging.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.IncludeScopes = true;
                });
                break;
            case AgentLogFormat.Text:
                logging.AddSimpleConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    o.SingleLine = true;
                    // Colors would put escape codes into the journal and into redirected files.
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "unknown log format");
        }
        return logging;
    }
}
