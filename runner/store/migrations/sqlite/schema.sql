-- A new store file at the current schema version (2). PRAGMA user_version holds the version.
CREATE TABLE runs (
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
    next_check_at TEXT,
    deadline TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT,
    UNIQUE (ticket, flow)
);

CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    step TEXT,
    kind TEXT NOT NULL,
    status TEXT,
    duration_ms INTEGER,
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, seq)
);

-- One row per side effect on one order: (action, order_key) is what is acted on, whichever
-- ticket or run asks; ticket and run_id say who made the attempt.
CREATE TABLE ledger (
    action TEXT NOT NULL,
    order_key TEXT NOT NULL,
    ticket TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attempting', 'confirmed', 'abandoned')),
    evidence TEXT NOT NULL DEFAULT '{}',
    attempted_at TEXT NOT NULL,
    confirmed_at TEXT,
    UNIQUE (action, order_key)
);

CREATE INDEX runs_due ON runs (status, next_check_at);
CREATE INDEX runs_by_ticket ON runs (ticket);
CREATE INDEX ledger_order ON ledger (order_key);
CREATE INDEX ledger_run ON ledger (run_id);
