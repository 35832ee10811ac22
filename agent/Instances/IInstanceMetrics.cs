namespace Baton.Agent.Instances;

/// <summary>The figures the supervisor reports as things happen (instance counts are read at scrape time).</summary>
internal interface IInstanceMetrics
{
    void RecordSpawn(TimeSpan latency);

    void RecordRestart(string app);
}
