-- A new PostgreSQL store at the current schema version (3): the SQLite file's tables, column
-- for column, so that one set of statements serves both. Two additions: "rowid", which SQLite
-- has implicitly and the store orders by, and COLLATE "C" on moments, which are stored as
-- UTC ISO text (as in SQLite) and must sort byte by byte, whatever the database's locale.
-- The version lives in certrunner_schema (created by the migration runner).
CREATE TABLE runs (
    rowid BIGSERIAL NOT NULL UNIQUE,
    run_id TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'denied',
                                           'waiting', 'needs_input', 'failed', 'abandoned')),
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
    queued_at TEXT COLLATE "C",
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

-- Schema 3: what any machine sharing the store needs to continue a paused run, and the people.
-- A paused run's files (the captcha it asks about, the anonymous console session it was read
-- in): never a console login, never an answer.
CREATE TABLE run_files (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    name TEXT NOT NULL,
    content BYTEA NOT NULL,
    media_type TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (run_id, name)
);

-- Operators of the console and the API: a token is kept only as its hash.
CREATE TABLE operators (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL,
    created_by TEXT NOT NULL
);

-- Every human decision, by whom, through which door: answers (never their value),
-- confirmations, retries, abandons, claims, operator changes.
CREATE TABLE decisions (
    seq BIGSERIAL PRIMARY KEY,
    ts TEXT COLLATE "C" NOT NULL,
    actor TEXT NOT NULL,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    run_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);

-- Who is working on a person-task right now, so a second operator sees it is taken.
CREATE TABLE task_claims (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id),
    operator TEXT NOT NULL,
    claimed_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);

-- What a real run saw on a page the nightly check cannot reach (behind the captcha or an
-- email): the latest accessibility snapshot per page.
CREATE TABLE page_snapshots (
    page TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    taken_at TEXT COLLATE "C" NOT NULL,
    url TEXT NOT NULL,
    snapshot TEXT NOT NULL
);

CREATE INDEX decisions_run ON decisions (run_id);

CREATE INDEX runs_due ON runs (status, next_check_at);
CREATE INDEX runs_by_ticket ON runs (ticket);
CREATE INDEX ledger_order ON ledger (order_key);
CREATE INDEX ledger_run ON ledger (run_id);
