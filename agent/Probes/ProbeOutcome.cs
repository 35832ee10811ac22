namespace Baton.Agent.Probes;

/// <summary>
/// The result of one check. <see cref="Message"/> is short and meant for operators
/// ("HTTP 503", "connect refused"); it ends up in instance status and events.
/// </summary>
public readonly record struct ProbeOutcome(bool Healthy, string Message)
{
    public static ProbeOutcome Pass(string message) => new(true, message);
    public static ProbeOutcome Fail(string message) => new(false, message);
}
