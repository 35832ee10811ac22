using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Protos.Orchestrator.V1;
using Spectre.Console;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton dataplanes [APP] [--json]`: every connected data plane, what it has ACKed per resource type, and whether it is in sync.</summary>
public static class DataPlanesCommand
{
    /// <summary>The xDS types in the order Envoy applies them, by the short names operators know.</summary>
    private static readonly (string Suffix, string Name)[] XdsTypes =
    [
        (".Listener", "LDS"),
        (".RouteConfiguration", "RDS"),
        (".Cluster", "CDS"),
        (".ClusterLoadAssignment", "EDS"),
    ];

    public static Command Create(CliEnvironment environment)
    {
        var appArgument = CommonArguments.OptionalApp("Only the data planes routing this app");
        var jsonOption = CommonArguments.Json();
        var command = new Command("dataplanes", "List the connected data planes (Envoy, baton-proxy, proxyless gRPC) and what they have ACKed") { appArgument, jsonOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var app = parseResult.GetValue(appArgument);
            var reply = await session.Client.ListDataPlanesAsync(new ListDataPlanesRequest { App = app ?? "" }, cancellationToken: cancellationToken);
            if (parseResult.GetValue(jsonOption)) return await JsonOutput.WriteAsync(session, reply);
            if (reply.DataPlanes.Count == 0)
            {
                await session.Out.WriteLineAsync(app is null ? "no data planes connected" : $"no data planes connected for {app}");
                return ExitCodes.Ok;
            }

            var table = Tables.Create().AddColumns("node", "apps", "protocol", "status");
            foreach (var (_, name) in XdsTypes) table.AddColumn(name);
            table.AddColumn("connected");
            foreach (var d in reply.DataPlanes.OrderBy(d => d.NodeId, StringComparer.Ordinal))
            {
                var cells = new List<string>
                {
                    Markup.Escape(d.NodeId),
                    Markup.Escape(d.Apps.Count == 0 ? "*" : string.Join(",", d.Apps)),
                    Markup.Escape(d.Protocol),
                    Status(d.Status),
                };
                foreach (var (suffix, _) in XdsTypes) cells.Add(Markup.Escape(Version(d.Types_.FirstOrDefault(t => t.TypeUrl.EndsWith(suffix, StringComparison.Ordinal)))));
                cells.Add(Markup.Escape(Format.Time(d.ConnectedAt)));
                table.AddRow(cells.ToArray());
            }
            session.Console.Write(table);
            foreach (var d in reply.DataPlanes)
            {
                foreach (var t in d.Types_.Where(t => t.NackError.Length > 0))
                    session.Console.MarkupLine($"[red]{Markup.Escape($"{d.NodeId} NACKed {ShortName(t.TypeUrl)} {t.SentVersion}: {t.NackError}")}[/]");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Status(string status) => status switch
    {
        "in sync" => "[green]in sync[/]",
        "stale" => "[yellow]stale[/]",
        _ => $"[red]{Markup.Escape(status)}[/]",
    };

    /// <summary>The ACKed version, and the one on its way when they differ ("7 → 8").</summary>
    private static string Version(DataPlaneTypeState? state)
    {
        if (state is null) return "-";
        var acked = state.AckedVersion.Length > 0 ? state.AckedVersion : "none";
        return state.SentVersion.Length > 0 && state.SentVersion != state.AckedVersion ? $"{acked} → {state.SentVersion}" : acked;
    }

    private static string ShortName(string typeUrl) =>
        XdsTypes.FirstOrDefault(t => typeUrl.EndsWith(t.Suffix, StringComparison.Ordinal)).Name ?? typeUrl;
}
