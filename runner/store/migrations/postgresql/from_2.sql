-- Schema 2 -> 3: runs may be 'queued' (since queued_at); paused runs keep their files in the
-- store; operators, their decisions and claims; snapshots of pages the nightly check cannot reach.
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN ('queued', 'running',
    'succeeded', 'denied', 'waiting', 'needs_input', 'failed', 'abandoned'));
ALTER TABLE runs ADD COLUMN queued_at TEXT COLLATE "C";

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
