-- Schema 1 -> 2: the ledger keyed by (action, order) instead of (ticket, action, order), runs
-- may be 'abandoned', and a run's history lives only in events (context.log dropped).
-- Several tickets' rows for one order merge into one: confirmed beats attempting beats
-- abandoned, the earliest attempt first; the others only repeated what that row knows.
CREATE TABLE runs_v2 (
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
INSERT INTO runs_v2 SELECT run_id, ticket, flow, status, current_step,
    json_remove(context, '$.log'), inputs, outcome, message, next_action, error,
    next_check_at, deadline, created_at, updated_at, lease_owner, lease_expires_at FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;

CREATE TABLE ledger_v2 (
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
INSERT INTO ledger_v2 SELECT action, order_key, ticket, run_id, status, evidence,
    attempted_at, confirmed_at FROM ledger AS l WHERE l.rowid = (
    SELECT m.rowid FROM ledger AS m WHERE m.action = l.action AND m.order_key = l.order_key
    ORDER BY CASE m.status WHEN 'confirmed' THEN 0 WHEN 'attempting' THEN 1 ELSE 2 END,
    m.attempted_at, m.rowid LIMIT 1);
DROP TABLE ledger;
ALTER TABLE ledger_v2 RENAME TO ledger;

CREATE INDEX IF NOT EXISTS runs_due ON runs (status, next_check_at);
CREATE INDEX IF NOT EXISTS runs_by_ticket ON runs (ticket);
CREATE INDEX IF NOT EXISTS ledger_order ON ledger (order_key);
CREATE INDEX IF NOT EXISTS ledger_run ON ledger (run_id);
