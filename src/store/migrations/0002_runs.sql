-- Evaluations and reruns of submissions: the run record, score and claim checks, as JSON.
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    purpose TEXT NOT NULL,
    evaluation TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
