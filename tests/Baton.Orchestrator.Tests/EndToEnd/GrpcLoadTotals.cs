using Baton.Orchestrator.Tests.Conformance;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Everything a <see cref="GrpcLoad"/> counted: the quick Which calls (channel and new-channel workers),
/// the long ones (<see cref="LongStarted"/> of them were sent), how many TCP connections its
/// <see cref="Channels"/> long-lived channels opened (each should need exactly one), and whether it
/// stopped at its own limit rather than when asked.
/// </summary>
internal sealed record GrpcLoadTotals(ClientTally Calls, ClientTally LongCalls, long LongStarted, long ChannelConnectionsOpened, int Channels, bool LimitReached)
{
    public long Failed => Calls.Failed + LongCalls.Failed;

    public override string ToString() =>
        $"Which: {Calls}; long calls: {LongStarted} started, {LongCalls}; "
        + $"{ChannelConnectionsOpened} connection(s) opened by {Channels} channel(s)"
        + (LimitReached ? "; stopped at its call or time limit" : "");
}
