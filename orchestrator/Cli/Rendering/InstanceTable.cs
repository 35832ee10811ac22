using System.Globalization;
using Baton.Protos.Orchestrator.V1;
using Spectre.Console;

namespace Baton.Orchestrator.Cli.Rendering;

/// <summary>The `pm2 ls`-like table of instances, shared by `ps` and `status`.</summary>
public static class InstanceTable
{
    public static Table Create(IEnumerable<Instance> instances, bool showApp)
    {
        var table = Tables.Create();
        table.AddColumns("agent", "id");
        if (showApp) table.AddColumn("app");
        table.AddColumns("version", "state", "pid", "port", "uptime", "restarts", "cpu", "memory");
        foreach (var i in instances.OrderBy(i => i.App, StringComparer.Ordinal).ThenBy(i => i.Agent, StringComparer.Ordinal).ThenBy(i => i.InstanceId, StringComparer.Ordinal))
        {
            var cells = new List<string> { Markup.Escape(i.Agent), Markup.Escape(i.InstanceId) };
            if (showApp) cells.Add(Markup.Escape(i.App));
            cells.Add(Markup.Escape(i.Version));
            cells.Add(State(i));
            cells.Add(i.Pid > 0 ? i.Pid.ToString(CultureInfo.InvariantCulture) : "-");
            cells.Add(i.Port > 0 ? i.Port.ToString(CultureInfo.InvariantCulture) : "-");
            cells.Add(i.Pid > 0 ? Format.Duration(TimeSpan.FromSeconds(i.UptimeSeconds)) : "-");
            cells.Add(i.Restarts.ToString(CultureInfo.InvariantCulture));
            cells.Add(Format.Number(i.CpuPercent) + " %");
            cells.Add(i.RssBytes > 0 ? Format.Bytes(i.RssBytes) : "-");
            table.AddRow(cells.ToArray());
        }
        return table;
    }

    private static string State(Instance instance)
    {
        var color = instance.State switch
        {
            "ready" => "green",
            "starting" or "stopping" or "draining" => "yellow",
            _ => "red",
        };
        var message = instance.Message.Length > 0 ? $" ({instance.Message})" : "";
        return $"[{color}]{Markup.Escape(instance.State + message)}[/]";
    }
}
