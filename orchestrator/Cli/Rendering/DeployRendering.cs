using System.Text;
using Baton.Orchestrator.Deploys;
using Baton.Protos.Orchestrator.V1;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Baton.Orchestrator.Cli.Rendering;

/// <summary>How a deploy looks: the live summary (phase, step, weights as bars, ready instances, load), the one-line progress for non-terminals, and the receipt.</summary>
public static class DeployRendering
{
    public static string Phase(DeployPhase phase) => DeployPhases.Name(phase);

    public static string PhaseMarkup(DeployPhase phase)
    {
        var color = phase switch
        {
            DeployPhase.Succeeded => "green",
            DeployPhase.Failing or DeployPhase.RollingBack or DeployPhase.RolledBack => "red",
            DeployPhase.Paused => "yellow",
            _ => "blue",
        };
        return $"[{color}]{Markup.Escape(Phase(phase))}[/]";
    }

    public static string Title(Deploy deploy)
    {
        var kind = deploy.Kind == DeployKind.Rollback ? "rollback" : "deploy";
        var from = deploy.FromVersion.Length > 0 ? deploy.FromVersion : "(nothing)";
        return $"{kind} {deploy.Id} of {deploy.App}: {from} → {deploy.ToVersion}";
    }

    /// <summary>The live view: what `deploy --watch` and `status` redraw on every change.</summary>
    public static IRenderable Summary(Deploy deploy, bool unicode)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        Row(grid, "deploy", Markup.Escape(Title(deploy)));
        var step = deploy.Steps > 0 ? $" (step {deploy.Step}/{deploy.Steps})" : "";
        var paused = deploy.Phase == DeployPhase.Paused && deploy.PausedFrom != DeployPhase.Unspecified ? $" from {Phase(deploy.PausedFrom)}" : "";
        Row(grid, "phase", PhaseMarkup(deploy.Phase) + Markup.Escape(paused + step));
        var first = true;
        foreach (var w in OrderedWeights(deploy))
        {
            Row(grid, first ? "weights" : "", $"{Markup.Escape(w.Version),-8} {Format.Bar(w.Weight, unicode)} {w.Weight,3} %");
            first = false;
        }
        if (deploy.ReadyInstances.Count > 0) Row(grid, "ready", Markup.Escape(Ready(deploy)));
        if (LastLoad(deploy) is { } load) Row(grid, "load", Markup.Escape(Load(load)));
        if (deploy.Reason.Length > 0) Row(grid, "reason", $"[red]{Markup.Escape(deploy.Reason)}[/]");
        if (deploy.Message.Length > 0) Row(grid, "note", Markup.Escape(deploy.Message));
        return grid;
    }

    /// <summary>One line per change, for logs and pipes where redrawing in place is impossible.</summary>
    public static string ProgressLine(Deploy deploy)
    {
        var line = new StringBuilder();
        line.Append(Format.Clock(deploy.UpdatedAt)).Append("  ").Append(Phase(deploy.Phase));
        if (deploy.Steps > 0) line.Append("  step ").Append(deploy.Step).Append('/').Append(deploy.Steps);
        var weights = OrderedWeights(deploy).ToList();
        if (weights.Count > 0) line.Append("  weights ").AppendJoin(" · ", weights.Select(w => $"{w.Version} {w.Weight} %"));
        if (deploy.ReadyInstances.Count > 0) line.Append("  ready ").Append(Ready(deploy));
        if (deploy.Reason.Length > 0) line.Append("  reason: ").Append(deploy.Reason);
        else if (deploy.Message.Length > 0) line.Append("  (").Append(deploy.Message).Append(')');
        return line.ToString();
    }

    /// <summary>Per step: weights, when applied and ACKed, by how many data planes, requests and errors per release, verdict.</summary>
    public static IRenderable Receipt(Deploy deploy)
    {
        var table = Tables.Create()
            .AddColumns("step", "weights", "applied", "acked", "data planes", "requests / errors", "verdict");
        foreach (var r in deploy.Receipt)
        {
            var acked = r.AckedAt is null ? "[red]never[/]" : Markup.Escape(Format.Clock(r.AckedAt) + AckDelay(r));
            var load = r.Load.Count == 0 ? "-" : Markup.Escape(string.Join(" · ", r.Load.Select(l => $"{l.Version} {l.Requests}/{l.Errors}")));
            var verdict = r.Verdict.StartsWith("failed", StringComparison.Ordinal) ? $"[red]{Markup.Escape(r.Verdict)}[/]" : Markup.Escape(r.Verdict.Length > 0 ? r.Verdict : "-");
            table.AddRow(
                r.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(" · ", r.Weights.Select(w => $"{w.Version} {w.Weight} %"))),
                Markup.Escape(Format.Clock(r.AppliedAt)),
                acked,
                r.DataPlanes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                load,
                verdict);
        }
        return table;
    }

    /// <summary>The end of a deploy: the summary line, the receipt, and how it ended.</summary>
    public static void WriteOutcome(IAnsiConsole console, Deploy deploy)
    {
        console.MarkupLine($"{Markup.Escape(Title(deploy))}: {PhaseMarkup(deploy.Phase)}{Markup.Escape(Took(deploy))}");
        if (deploy.Reason.Length > 0) console.MarkupLine($"reason: [red]{Markup.Escape(deploy.Reason)}[/]");
        if (deploy.Receipt.Count > 0) console.Write(Receipt(deploy));
    }

    private static string Took(Deploy deploy) =>
        deploy.CreatedAt is not null && deploy.FinishedAt is not null
            ? $" in {Format.Number((deploy.FinishedAt.ToDateTimeOffset() - deploy.CreatedAt.ToDateTimeOffset()).TotalSeconds)} s"
            : "";

    private static string AckDelay(StepReceipt r) =>
        r.AppliedAt is null ? "" : $" (+{Format.Number((r.AckedAt.ToDateTimeOffset() - r.AppliedAt.ToDateTimeOffset()).TotalMilliseconds, "0")} ms)";

    /// <summary>The new release first: it is the one the operator is watching.</summary>
    private static IEnumerable<ReleaseWeight> OrderedWeights(Deploy deploy) =>
        deploy.Weights.OrderByDescending(w => w.Version == deploy.ToVersion).ThenBy(w => w.Version, StringComparer.Ordinal);

    private static string Ready(Deploy deploy) =>
        string.Join(" · ", deploy.ReadyInstances
            .OrderByDescending(r => r.Key == deploy.ToVersion).ThenBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => $"{r.Key} {r.Value}"));

    private static IReadOnlyList<ReleaseLoad>? LastLoad(Deploy deploy) =>
        deploy.Receipt.LastOrDefault(r => r.Load.Count > 0)?.Load;

    private static string Load(IEnumerable<ReleaseLoad> load) =>
        string.Join(" · ", load.Select(l =>
            $"{l.Version} {l.Requests} req, {l.Errors} err ({Format.Percent(l.Requests == 0 ? 0 : l.Errors / (double)l.Requests)})"));

    private static void Row(Grid grid, string label, string markup) => grid.AddRow(new Markup($"[grey]{label}[/]"), new Markup(markup));
}
