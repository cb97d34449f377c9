-- Reviewers, their conflicts and assignments, rubric reviews and line comments.
CREATE TABLE reviewers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    added_at BIGINT NOT NULL
);

CREATE TABLE conflicts (
    reviewer_id TEXT NOT NULL REFERENCES reviewers (id),
    pseudonym TEXT NOT NULL REFERENCES candidates (pseudonym),
    PRIMARY KEY (reviewer_id, pseudonym)
);

CREATE TABLE review_assignments (
    reviewer_id TEXT NOT NULL REFERENCES reviewers (id),
    pseudonym TEXT NOT NULL REFERENCES candidates (pseudonym),
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (reviewer_id, pseudonym)
);

CREATE TABLE reviews (
    reviewer_id TEXT NOT NULL REFERENCES reviewers (id),
    pseudonym TEXT NOT NULL REFERENCES candidates (pseudonym),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    levels TEXT NOT NULL,
    comments TEXT NOT NULL,
    recommendation TEXT,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    PRIMARY KEY (reviewer_id, pseudonym)
);

CREATE TABLE line_comments (
    id TEXT PRIMARY KEY,
    reviewer_id TEXT NOT NULL REFERENCES reviewers (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    path TEXT NOT NULL,
    line BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX line_comments_by_submission ON line_comments (submission_id);

-- Settings shared by every server on this database (the CSRF key).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
