namespace Baton.Orchestrator.Store;

/// <summary>An artifact written to a temporary file, not yet under its final name.</summary>
internal sealed record ReceivedFile(string TemporaryPath, string Sha256, long Size);
