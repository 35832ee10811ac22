namespace Baton.Agent.Instances;

/// <summary>What the supervisor needs from the log store: FIFOs to hand the child, and draining on exit.</summary>
internal interface ILogPipes
{
    /// <summary>Creates (or re-attaches to) the instance's stdout/stderr FIFOs and starts reading them.</summary>
    Logs.InstanceLogPaths Open(string instanceId);

    /// <summary>Reads out what the exited process left in its pipes.</summary>
    Task FlushAsync(string instanceId);

    void Close(string instanceId);

    void Delete(string instanceId);
}
