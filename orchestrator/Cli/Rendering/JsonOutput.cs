using Google.Protobuf;

namespace Baton.Orchestrator.Cli.Rendering;

/// <summary>--json: the reply message in the proto's canonical JSON mapping and nothing else, so it parses back with JsonParser.</summary>
public static class JsonOutput
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation("  "));

    public static async Task<int> WriteAsync(CliSession session, IMessage message)
    {
        await session.Out.WriteLineAsync(Formatter.Format(message));
        return ExitCodes.Ok;
    }
}
