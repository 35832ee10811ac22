using Grpc.Core;

namespace Baton.Orchestrator.Fleet;

/// <summary>Turns an agent call's failure into an error the orchestrator's caller can act on: which agent, where, and why.</summary>
internal static class AgentCallErrors
{
    /// <summary>The status detail plus the transport error beneath it (e.g. "Connection refused"), which is the useful part.</summary>
    public static string Describe(RpcException e)
    {
        var detail = e.Status.Detail;
        var cause = e.Status.DebugException?.InnerException?.Message ?? e.Status.DebugException?.Message;
        return cause is null || detail.Contains(cause, StringComparison.Ordinal)
            ? $"{e.StatusCode}: {detail}"
            : $"{e.StatusCode}: {detail} ({cause})";
    }

    public static RpcException Unreachable(AgentConnection agent, string detail) =>
        new(new Status(StatusCode.Unavailable, $"agent \"{agent.Name}\" at {agent.Address} is unreachable: {detail}"));

    public static RpcException Translate(AgentConnection agent, RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded => Unreachable(agent, Describe(e)),
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => new RpcException(new Status(e.StatusCode,
            $"agent \"{agent.Name}\" at {agent.Address} refused the orchestrator's credentials (check the fleet bearer token or client certificate): {e.Status.Detail}")),
        // The caller's own cancellation stays what it is.
        StatusCode.Cancelled => e,
        _ => new RpcException(new Status(e.StatusCode, $"agent \"{agent.Name}\": {e.Status.Detail}")),
    };
}
