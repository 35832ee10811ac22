using System.Security.Cryptography;

namespace Baton.Agent.Hosting;

/// <summary>
/// This agent process run: when it started and a random id no other run shares. A singleton,
/// because gRPC services are created per call and cannot hold anything that must outlive one.
/// The id tells a watcher that event sequence numbers started again (they count per run).
/// </summary>
internal sealed record AgentRun(string RunId, DateTimeOffset StartedAt)
{
    public static AgentRun Begin(TimeProvider time) => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), time.GetUtcNow());

    public TimeSpan Uptime(TimeProvider time) => time.GetUtcNow() - StartedAt;
}
