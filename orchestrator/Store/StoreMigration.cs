namespace Baton.Orchestrator.Store;

/// <summary>One step of the schema's history: applied once, in order, inside the transaction that records it.</summary>
/// <param name="Version">1, 2, 3, … without gaps.</param>
/// <param name="Description">Recorded in schema_version for whoever inspects a database.</param>
/// <param name="Sql">Statements separated by ';'.</param>
public sealed record StoreMigration(int Version, string Description, string Sql);
