-- Assignments, candidates and submissions. Portable SQL: SQLite and PostgreSQL alike.
CREATE TABLE assignments (
    content_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    manifest TEXT NOT NULL,
    files TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    UNIQUE (id, revision)
);

CREATE TABLE candidates (
    pseudonym TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    assignment_hash TEXT NOT NULL REFERENCES assignments (content_hash),
    token_hash TEXT NOT NULL UNIQUE,
    issued_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    bundle_sha256 TEXT NOT NULL
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    pseudonym TEXT NOT NULL REFERENCES candidates (pseudonym),
    seq BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    files TEXT NOT NULL,
    manifest TEXT NOT NULL,
    validation TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    late BIGINT NOT NULL,
    same_as TEXT,
    UNIQUE (pseudonym, seq)
);
