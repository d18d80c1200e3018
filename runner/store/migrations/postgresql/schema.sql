-- A new PostgreSQL store at the current schema version (2): the SQLite file's tables, column
-- for column, so that one set of statements serves both. Two additions: "rowid", which SQLite
-- has implicitly and the store orders by, and COLLATE "C" on moments, which are stored as
-- UTC ISO text (as in SQLite) and must sort byte by byte, whatever the database's locale.
-- The version lives in certrunner_schema (created by the migration runner).
CREATE TABLE runs (
    rowid BIGSERIAL NOT NULL UNIQUE,
    run_id TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'denied', 'waiting',
                                           'needs_input', 'failed', 'abandoned')),
    current_step TEXT,
    context TEXT NOT NULL DEFAULT '{}',
    inputs TEXT NOT NULL DEFAULT '{}',
    outcome TEXT,
    message TEXT,
    next_action TEXT,
    error TEXT,
    next_check_at TEXT COLLATE "C",
    deadline TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT COLLATE "C",
    UNIQUE (ticket, flow)
);

CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    seq INTEGER NOT NULL,
    ts TEXT COLLATE "C" NOT NULL,
    step TEXT,
    kind TEXT NOT NULL,
    status TEXT,
    duration_ms INTEGER,
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE ledger (
    rowid BIGSERIAL NOT NULL UNIQUE,
    action TEXT NOT NULL,
    order_key TEXT NOT NULL,
    ticket TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attempting', 'confirmed', 'abandoned')),
    evidence TEXT NOT NULL DEFAULT '{}',
    attempted_at TEXT COLLATE "C" NOT NULL,
    confirmed_at TEXT COLLATE "C",
    UNIQUE (action, order_key)
);

CREATE INDEX runs_due ON runs (status, next_check_at);
CREATE INDEX runs_by_ticket ON runs (ticket);
CREATE INDEX ledger_order ON ledger (order_key);
CREATE INDEX ledger_run ON ledger (run_id);
