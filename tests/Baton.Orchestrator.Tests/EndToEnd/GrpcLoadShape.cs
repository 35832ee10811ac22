namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// How a <see cref="GrpcLoad"/> calls ReleaseEcho.Which: <see cref="Channels"/> channels of one HTTP/2
/// connection each, with <see cref="QuickWorkersPerChannel"/> workers calling back to back on every one;
/// <see cref="LongCallWorkers"/> workers (spread over the same channels, so long streams share connections
/// with quick ones) always holding a call the app keeps for N ms (N drawn from the range); workers opening a
/// new channel, so a new connection, for every call. The load stops by itself after <see cref="MaxCalls"/>
/// calls or <see cref="MaxSeconds"/>, whichever comes first, so a test that loses track of it cannot
/// leave it running.
/// </summary>
internal sealed record GrpcLoadShape(
    int Channels = 3,
    int QuickWorkersPerChannel = 2,
    int LongCallWorkers = 2,
    int LongCallMinMs = 1500,
    int LongCallMaxMs = 3000,
    int NewChannelWorkers = 1,
    int PauseMs = 2,
    long MaxCalls = 300_000,
    int MaxSeconds = 180);
