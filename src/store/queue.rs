//! The work queue's rows: enqueue, claim under a lease, renew, record once, fail.
//!
//! A claim is one statement (`UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`), so
//! two workers never hold the same job. A worker that stops renewing loses its lease and
//! the job is claimed again; after `max_attempts` lost leases it is failed with the reason.

use sqlx::{AssertSqlSafe, Row};

use super::closed::{self, closed_set};
use super::{RunPurpose, RunRow, Store};

closed_set! {
    /// Where a queued job is.
    pub enum JobState("a job state") {
        /// Not claimed yet (or claimed by a worker whose lease ran out: see `lease_until`).
        Waiting = "waiting",
        /// Claimed by a worker, under a lease.
        Running = "running",
        /// Its run is recorded (`run_id`).
        Done = "done",
        /// Given up, with the reason (`error`).
        Failed = "failed",
    }
}

impl JobState {
    /// Done or failed: nothing will happen to the job any more.
    pub fn is_settled(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// One queued run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct JobRow {
    pub id: String,
    /// What the job does: evaluate or rerun its submission version.
    pub kind: RunPurpose,
    pub submission_id: String,
    /// JSON: how to run (seed, clock).
    pub options: String,
    /// Who enqueued it together with others (an `evaluate` command, an upload).
    pub batch: String,
    /// Lower runs first.
    pub priority: i64,
    pub state: JobState,
    /// Claims so far.
    pub attempts: i64,
    pub worker: Option<String>,
    pub lease_until: Option<i64>,
    pub enqueued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The run recorded for it (`done`).
    pub run_id: Option<String>,
    /// Why it failed (`failed`).
    pub error: Option<String>,
    /// The runner the job needs: only a worker offering it claims the job.
    pub runner: String,
}

/// A job to enqueue.
pub struct NewJob {
    pub kind: RunPurpose,
    pub submission_id: String,
    pub options: String,
    pub priority: i64,
    /// The runner the job needs (`python`, `python-native`, ...).
    pub runner: String,
}

const JOB_COLUMNS: &str = "id, kind, submission_id, options, batch, priority, state, attempts, worker, lease_until, enqueued_at, started_at, finished_at, run_id, error, runner";

impl Store {
    /// Enqueues `jobs` under `batch`, all or none.
    pub async fn enqueue(
        &self,
        batch: &str,
        jobs: &[NewJob],
        now: i64,
    ) -> anyhow::Result<Vec<JobRow>> {
        let mut tx = self.write().await?;
        let mut rows = Vec::new();
        for (n, job) in jobs.iter().enumerate() {
            let row = JobRow {
                id: format!("{batch}.{}", n + 1),
                kind: job.kind,
                submission_id: job.submission_id.clone(),
                options: job.options.clone(),
                batch: batch.to_string(),
                priority: job.priority,
                state: JobState::Waiting,
                attempts: 0,
                worker: None,
                lease_until: None,
                enqueued_at: now,
                started_at: None,
                finished_at: None,
                run_id: None,
                error: None,
                runner: job.runner.clone(),
            };
            sqlx::query(
                "INSERT INTO jobs (id, kind, submission_id, options, batch, priority, state, attempts, enqueued_at, runner) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'waiting', 0, $7, $8)",
            )
            .bind(&row.id)
            .bind(row.kind.as_str())
            .bind(&row.submission_id)
            .bind(&row.options)
            .bind(&row.batch)
            .bind(row.priority)
            .bind(now)
            .bind(&row.runner)
            .execute(&mut *tx)
            .await?;
            rows.push(row);
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Claims the next waiting job (or one whose lease ran out) that needs one of `runners`,
    /// optionally only from `batch`, for `worker` until `now + lease_ms`. Jobs that already
    /// lost `max_attempts` leases are failed first, never claimed again.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim(
        &self,
        worker: &str,
        batch: Option<&str>,
        runners: &[&str],
        lease_ms: i64,
        max_attempts: i64,
        now: i64,
    ) -> anyhow::Result<Option<JobRow>> {
        if runners.is_empty() {
            return Ok(None);
        }
        sqlx::query(
            "UPDATE jobs SET state = 'failed', finished_at = $1, lease_until = NULL, \
             error = 'its worker stopped renewing the lease ' || attempts || ' times (last: ' || worker || '); not retried' \
             WHERE state = 'running' AND lease_until < $1 AND attempts >= $2",
        )
        .bind(now)
        .bind(max_attempts)
        .execute(self.pool())
        .await?;
        let lock = if self.is_sqlite() {
            ""
        } else {
            "FOR UPDATE SKIP LOCKED"
        };
        let only_batch = if batch.is_some() {
            "AND batch = $4"
        } else {
            ""
        };
        let first = if batch.is_some() { 5 } else { 4 };
        let placeholders: Vec<String> = (0..runners.len())
            .map(|i| format!("${}", first + i))
            .collect();
        let only_runners = format!("AND runner IN ({})", placeholders.join(", "));
        let sql = format!(
            "UPDATE jobs SET state = 'running', worker = $1, lease_until = $2, attempts = attempts + 1, started_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE (state = 'waiting' OR (state = 'running' AND lease_until < $3)) {only_batch} {only_runners} \
             ORDER BY priority, enqueued_at, id LIMIT 1 {lock}) \
             RETURNING {JOB_COLUMNS}"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(worker)
            .bind(now + lease_ms)
            .bind(now);
        if let Some(batch) = batch {
            query = query.bind(batch);
        }
        for runner in runners {
            query = query.bind(*runner);
        }
        let row = query.fetch_optional(self.pool()).await?;
        row.as_ref().map(job_from).transpose()
    }

    /// Extends `worker`'s lease on a job; false if the lease was lost to another worker.
    pub async fn renew(&self, job_id: &str, worker: &str, until: i64) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
        )
        .bind(until)
        .bind(job_id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a job's result as a run, in one transaction with marking the job done, only
    /// while `worker` still holds it: `None` if it does not (the result is dropped). A job
    /// has at most one run (`runs.job_id` is unique).
    pub async fn finish(
        &self,
        job: &JobRow,
        worker: &str,
        evaluation: &str,
        now: i64,
    ) -> anyhow::Result<Option<RunRow>> {
        let mut tx = self.write().await?;
        let held =
            sqlx::query("SELECT id FROM jobs WHERE id = $1 AND worker = $2 AND state = 'running'")
                .bind(&job.id)
                .bind(worker)
                .fetch_optional(&mut *tx)
                .await?;
        if held.is_none() {
            return Ok(None);
        }
        let run = self
            .insert_run(
                &mut tx,
                &job.submission_id,
                job.kind,
                evaluation,
                now,
                Some(&job.id),
            )
            .await?;
        sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at = $1, lease_until = NULL, run_id = $2 \
             WHERE id = $3 AND worker = $4 AND state = 'running'",
        )
        .bind(now)
        .bind(&run.id)
        .bind(&job.id)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(run))
    }

    /// Marks a job failed with `error`, while `worker` holds it.
    pub async fn fail(
        &self,
        job_id: &str,
        worker: &str,
        error: &str,
        now: i64,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'failed', finished_at = $1, lease_until = NULL, error = $2 \
             WHERE id = $3 AND worker = $4 AND state = 'running'",
        )
        .bind(now)
        .bind(error)
        .bind(job_id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Hands a job `worker` holds back to the queue (a worker stopping before the job
    /// finished): waiting again, this claim not counted against `max_attempts`. False if
    /// the worker no longer held it.
    pub async fn release(&self, job_id: &str, worker: &str) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'waiting', worker = NULL, lease_until = NULL, started_at = NULL, \
             attempts = attempts - 1 WHERE id = $1 AND worker = $2 AND state = 'running'",
        )
        .bind(job_id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Jobs, oldest first: all of them, or one batch's.
    pub async fn jobs(&self, batch: Option<&str>) -> anyhow::Result<Vec<JobRow>> {
        let rows = match batch {
            Some(batch) => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM jobs WHERE batch = $1 ORDER BY enqueued_at, id"
                )))
                .bind(batch)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM jobs ORDER BY enqueued_at, id"
                )))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(job_from).collect()
    }

    /// The newest job of a submission version of kind `kind`.
    pub async fn latest_job(
        &self,
        submission_id: &str,
        kind: RunPurpose,
    ) -> anyhow::Result<Option<JobRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE submission_id = $1 AND kind = $2 ORDER BY enqueued_at DESC, id DESC LIMIT 1"
        )))
        .bind(submission_id)
        .bind(kind.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(job_from).transpose()
    }

    /// How many jobs are in each state.
    pub async fn queue_counts(&self) -> anyhow::Result<Vec<(JobState, i64)>> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    closed::column(r, "the job counts", "state")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }
}

fn job_from(row: &sqlx::any::AnyRow) -> anyhow::Result<JobRow> {
    let id: String = row.try_get("id")?;
    let what = format!("job {id}");
    Ok(JobRow {
        kind: closed::column(row, &what, "kind")?,
        state: closed::column(row, &what, "state")?,
        id,
        submission_id: row.try_get("submission_id")?,
        options: row.try_get("options")?,
        batch: row.try_get("batch")?,
        priority: row.try_get("priority")?,
        attempts: row.try_get("attempts")?,
        worker: row.try_get("worker")?,
        lease_until: row.try_get("lease_until")?,
        enqueued_at: row.try_get("enqueued_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        run_id: row.try_get("run_id")?,
        error: row.try_get("error")?,
        runner: row.try_get("runner")?,
    })
}

#[cfg(test)]
mod tests {
    use super::JobState;
    use crate::base::closed::assert_round_trip;
    use crate::store::RunPurpose;

    #[test]
    fn job_states_round_trip_through_their_strings() {
        assert_round_trip(JobState::ALL, JobState::as_str);
        assert!(JobState::Done.is_settled() && JobState::Failed.is_settled());
        assert!(!JobState::Waiting.is_settled() && !JobState::Running.is_settled());
    }

    #[test]
    fn run_purposes_round_trip_through_their_strings() {
        assert_round_trip(RunPurpose::ALL, RunPurpose::as_str);
    }
}
