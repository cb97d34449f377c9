-- The work queue: one row per queued evaluation, claimed by workers under a renewable lease.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    options TEXT NOT NULL,
    batch TEXT NOT NULL,
    priority BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    worker TEXT,
    lease_until BIGINT,
    enqueued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    run_id TEXT,
    error TEXT
);
CREATE INDEX jobs_by_state ON jobs (state, priority, enqueued_at);
CREATE INDEX jobs_by_batch ON jobs (batch);
CREATE INDEX jobs_by_submission ON jobs (submission_id);

-- A queued run's result is recorded once: at most one run per job.
ALTER TABLE runs ADD COLUMN job_id TEXT;
CREATE UNIQUE INDEX runs_by_job ON runs (job_id);

-- Blobs kept in the database (PostgreSQL mode), so that every worker on every machine can read them.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL
);
