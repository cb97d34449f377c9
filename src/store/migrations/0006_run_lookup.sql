-- Every reviewer page asks for a submission's runs (the packet cache checks their count,
-- the overview reads the newest evaluation of each candidate): without this each of those
-- read the whole runs table, which grows with every evaluation and rerun.
CREATE INDEX runs_by_submission ON runs (submission_id, purpose, created_at);
