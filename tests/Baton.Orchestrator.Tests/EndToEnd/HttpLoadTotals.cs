using Baton.Orchestrator.Tests.Conformance;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Everything an <see cref="HttpLoad"/> counted: the `GET /` calls (keep-alive and new-connection
/// workers), the long `GET /slow` requests (<see cref="LongStarted"/> of them were sent), and how many
/// TCP connections the keep-alive and long-request workers opened (each should need exactly one).
/// </summary>
internal sealed record HttpLoadTotals(ClientTally Calls, ClientTally LongRequests, long LongStarted, long KeptConnectionsOpened, int KeptConnectionWorkers)
{
    public long Failed => Calls.Failed + LongRequests.Failed;

    public override string ToString() =>
        $"GET /: {Calls}; long requests: {LongStarted} started, {LongRequests}; "
        + $"{KeptConnectionsOpened} connection(s) opened by {KeptConnectionWorkers} keep-alive worker(s)";
}
