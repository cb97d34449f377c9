-- The runner a queued job needs (`python-native` when it may run in gVisor): a worker
-- claims only jobs whose runner it offers (`takehome worker --runners`). Jobs queued
-- before this column need the WebAssembly Python runner.
ALTER TABLE jobs ADD COLUMN runner TEXT NOT NULL DEFAULT 'python';
