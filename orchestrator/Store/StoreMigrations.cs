namespace Baton.Orchestrator.Store;

/// <summary>
/// The SQLite schema as a list of migrations. Never edit a released migration: add the next one.
/// Times are Unix milliseconds (UTC); protos are stored as their binary encoding; small lists and
/// maps (labels, weights) as JSON text.
/// </summary>
public static class StoreMigrations
{
    public static readonly IReadOnlyList<StoreMigration> All =
    [
        new(1, "apps, agents, artifacts, deploys, desired state", """
            CREATE TABLE apps (
                name        TEXT PRIMARY KEY,
                spec        BLOB NOT NULL,      -- AppSpec, defaults applied
                source      TEXT NOT NULL,      -- the YAML as applied
                generation  INTEGER NOT NULL,   -- 1, then +1 per spec change
                created_at  INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE agents (
                name        TEXT PRIMARY KEY,
                address     TEXT NOT NULL,      -- host:port
                labels      TEXT NOT NULL,      -- JSON object
                added_at    INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE artifacts (
                app         TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
                version     TEXT NOT NULL,
                sha256      TEXT NOT NULL,
                size        INTEGER NOT NULL,
                path        TEXT NOT NULL,      -- relative to the data dir
                created_at  INTEGER NOT NULL,
                PRIMARY KEY (app, version)
            ) STRICT;

            CREATE TABLE deploys (
                id           TEXT PRIMARY KEY,
                app          TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
                kind         INTEGER NOT NULL,  -- DeployKind
                from_version TEXT NOT NULL,
                to_version   TEXT NOT NULL,
                phase        INTEGER NOT NULL,  -- DeployPhase
                step         INTEGER NOT NULL,
                record       BLOB NOT NULL,     -- the whole Deploy proto, receipt included
                created_at   INTEGER NOT NULL,
                updated_at   INTEGER NOT NULL,
                finished_at  INTEGER            -- null while running
            ) STRICT;
            CREATE INDEX deploys_by_app ON deploys(app, created_at);
            -- One deploy per app at a time, whatever the code above the store does.
            CREATE UNIQUE INDEX one_unfinished_deploy_per_app ON deploys(app) WHERE finished_at IS NULL;

            CREATE TABLE desired_state (
                app           TEXT PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
                revision      INTEGER NOT NULL,
                deploy_id     TEXT REFERENCES deploys(id) ON DELETE SET NULL,
                acked_weights TEXT NOT NULL,    -- JSON [{"version":"v2","weight":10}], what every data plane last ACKed
                acked_at      INTEGER,
                updated_at    INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE desired_releases (
                app             TEXT NOT NULL REFERENCES desired_state(app) ON DELETE CASCADE,
                version         TEXT NOT NULL,
                weight          INTEGER NOT NULL,  -- percent of traffic to serve it
                draining        INTEGER NOT NULL,  -- 0/1: no new requests
                retire_after    INTEGER,           -- kept warm until then (rollback window)
                spec            BLOB NOT NULL,     -- AppSpec the instances run with (pinned)
                spec_generation INTEGER NOT NULL,
                artifact_sha256 TEXT NOT NULL,
                PRIMARY KEY (app, version)
            ) STRICT;

            CREATE TABLE desired_instances (
                app         TEXT NOT NULL,
                version     TEXT NOT NULL,
                agent       TEXT NOT NULL,
                instance_id TEXT NOT NULL,
                host        TEXT NOT NULL,      -- where last seen ready ('' if never)
                port        INTEGER NOT NULL,
                PRIMARY KEY (app, instance_id),
                FOREIGN KEY (app, version) REFERENCES desired_releases(app, version) ON DELETE CASCADE
            ) STRICT;
            CREATE INDEX desired_instances_by_agent ON desired_instances(agent);
            """),
        new(2, "deploy control flags", """
            CREATE TABLE deploy_controls (
                deploy_id   TEXT PRIMARY KEY REFERENCES deploys(id) ON DELETE CASCADE,
                control     BLOB NOT NULL       -- DeployControl: the engine's requests and timers for the deploy
            ) STRICT;
            """),
    ];
}
