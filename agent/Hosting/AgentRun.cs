namespace Baton.Agent.Hosting;

/// <summary>
/// This agent process run: when it started and a random id no other run shares. A singleton,
/// because gRPC services are created per call and cannot hold anything that must outlive one.
/// The id tells a watcher that event sequence numbers started again (they count per run).
/// </summary>
internal sealed record AgentRun(string RunId, DateTimeOffset StartedAt)
{
    // Unique, not secret: Guid's random bytes come from the OS directly, where RandomNumberGenerator
    // would load OpenSSL's libcrypto (~3.4 MB resident) into an agent that otherwise never needs it.
    public static AgentRun Begin(TimeProvider time) => new(Guid.NewGuid().ToString("N")[..16], time.GetUtcNow());

    public TimeSpan Uptime(TimeProvider time) => time.GetUtcNow() - StartedAt;
}
