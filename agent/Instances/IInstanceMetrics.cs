namespace Baton.Agent.Instances;

/// <summary>The figures the supervisor reports as things happen (instance counts are read at scrape time).</summary>
public interface IInstanceMetrics
{
    void RecordSpawn(TimeSpan latency);

    void RecordRestart(string app);

    /// <summary>A probe check flipped to failing; <paramref name="probe"/> is readiness or liveness.</summary>
    void RecordProbeFailure(string app, string probe);
}
