-- Hiring leads: they see the cohort view (similarity, agreement, leniency) of every
-- assignment through a secret link, of which only the hash is kept.
CREATE TABLE leads (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    added_at BIGINT NOT NULL
);
