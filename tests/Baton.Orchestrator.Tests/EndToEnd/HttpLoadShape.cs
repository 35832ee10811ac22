namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// How many of each <see cref="HttpLoad"/> worker run: keep-alive workers calling `GET /` back to back,
/// workers always holding a `GET /slow?ms=N` in flight (N drawn from the range), and workers opening a
/// new connection for every `GET /` (`Connection: close`).
/// </summary>
internal sealed record HttpLoadShape(
    int KeepAliveWorkers = 4,
    int LongRequestWorkers = 2,
    int LongRequestMinMs = 1500,
    int LongRequestMaxMs = 3000,
    int NewConnectionWorkers = 1,
    int PauseMs = 2);
