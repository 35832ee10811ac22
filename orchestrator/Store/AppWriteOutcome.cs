namespace Baton.Orchestrator.Store;

/// <summary>What applying a spec did; the API reports it as "created", "updated" or "unchanged".</summary>
public enum AppWriteOutcome
{
    Created,
    Updated,
    Unchanged,
}
