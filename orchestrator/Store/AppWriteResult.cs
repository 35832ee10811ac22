using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Store;

/// <summary>The app as stored after a write, and what the write did.</summary>
public sealed record AppWriteResult(App App, AppWriteOutcome Outcome);
