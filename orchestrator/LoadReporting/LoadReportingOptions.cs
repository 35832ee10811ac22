namespace Baton.Orchestrator.LoadReporting;

public sealed class LoadReportingOptions
{
    /// <summary>How often data planes are asked to report. Short, because analysis windows and drains wait on it.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The interval while a drain waits on fresh reports.</summary>
    public TimeSpan FastReportInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long reports are kept; the longest analysis window a spec may use.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromMinutes(15);
}
