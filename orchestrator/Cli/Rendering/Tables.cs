using Spectre.Console;

namespace Baton.Orchestrator.Cli.Rendering;

/// <summary>The one table style: no borders and bold headers, like `kubectl get`, so the output also reads (and greps) well as plain text.</summary>
public static class Tables
{
    public static Table Create() => new Table().Border(TableBorder.None);
}
