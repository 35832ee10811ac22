namespace Baton.Orchestrator.Xds;

/// <summary>How a weight step ended.</summary>
public enum ConfirmationOutcome
{
    /// <summary>Every data plane that routes the app ACKed the new route (and its clusters).</summary>
    Acked,

    /// <summary>At least one data plane rejected a resource of the step; see <see cref="WeightConfirmation.Error"/>.</summary>
    Nacked,

    /// <summary>The timeout passed with some data planes still pending.</summary>
    TimedOut,
}

/// <summary>Where one data plane stands for a step.</summary>
public enum DataPlaneState
{
    Pending,
    Acked,
    Nacked,

    /// <summary>The stream closed during the wait; the data plane gets the latest state when it reconnects.</summary>
    Disconnected,
}

/// <summary>One data plane's answer to a step.</summary>
public sealed record DataPlaneConfirmation(long StreamId, string NodeId, DataPlaneState State, string? Error);

/// <summary>The answer to "apply these weights and wait until every data plane of the app has them".</summary>
public sealed record WeightConfirmation(
    ConfirmationOutcome Outcome,
    IReadOnlyList<DataPlaneConfirmation> DataPlanes)
{
    /// <summary>The first rejecting data plane's message, when <see cref="Outcome"/> is Nacked.</summary>
    public string? Error => DataPlanes.FirstOrDefault(d => d.State == DataPlaneState.Nacked)?.Error;

    /// <summary>The node that rejected, when <see cref="Outcome"/> is Nacked.</summary>
    public string? NackedBy => DataPlanes.FirstOrDefault(d => d.State == DataPlaneState.Nacked)?.NodeId;
}
