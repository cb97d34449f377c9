//! Queued runs: enqueue evaluations and reruns of submissions, and the worker loop that
//! claims them under a renewable lease, runs each in the sandbox (through `evaluate`) and
//! records its result exactly once.

pub mod runners;
mod stop;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::base::now_ms;
use crate::evaluate::{self, Evaluation, rerun};
use crate::sandbox::{ClockMode, Sandbox};
use crate::store::queue::{JobRow, NewJob};
use crate::store::{Blobs, RunPurpose, Store, SubmissionRow};
pub use stop::{StopHandle, StopSignal};

/// How a queued evaluation runs; stored with the job as JSON. A rerun takes its seed and
/// clock from the evaluation it repeats instead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOptions {
    pub seed: u64,
    pub real_clock: bool,
}

impl JobOptions {
    fn evaluate_options(self) -> evaluate::Options {
        evaluate::Options {
            seed: self.seed,
            clock: if self.real_clock {
                ClockMode::Real
            } else {
                ClockMode::Virtual
            },
        }
    }
}

/// Uploads jump ahead of bulk evaluations: a candidate is waiting for the smoke result.
pub const PRIORITY_UPLOAD: i64 = 0;
pub const PRIORITY_BATCH: i64 = 10;

/// Enqueues an evaluation of each submission as one batch; returns the batch id and jobs.
pub async fn enqueue(
    store: &Store,
    submissions: &[SubmissionRow],
    options: JobOptions,
    priority: i64,
) -> anyhow::Result<(String, Vec<JobRow>)> {
    enqueue_runs(store, RunPurpose::Evaluate, submissions, options, priority).await
}

/// Enqueues a rerun of each submission (each must have an evaluation by the time a worker
/// claims it, or the job fails saying so) as one batch; returns the batch id and jobs.
pub async fn enqueue_reruns(
    store: &Store,
    submissions: &[SubmissionRow],
    priority: i64,
) -> anyhow::Result<(String, Vec<JobRow>)> {
    enqueue_runs(
        store,
        RunPurpose::Rerun,
        submissions,
        JobOptions::default(),
        priority,
    )
    .await
}

async fn enqueue_runs(
    store: &Store,
    purpose: RunPurpose,
    submissions: &[SubmissionRow],
    options: JobOptions,
    priority: i64,
) -> anyhow::Result<(String, Vec<JobRow>)> {
    let now = now_ms();
    let batch = format!("{now}-{}", hex::encode(rand::random::<[u8; 4]>()));
    let mut jobs = Vec::new();
    for s in submissions {
        jobs.push(NewJob {
            kind: purpose,
            submission_id: s.id.clone(),
            options: serde_json::to_string(&options).expect("options serialise"),
            priority,
            runner: runners::needed(store, s).await?.name().to_string(),
        });
    }
    let rows = store.enqueue(&batch, &jobs, now).await?;
    Ok((batch, rows))
}

/// Each job of `batch` with its evaluation (or rerun), or why there is none, oldest job
/// first.
pub async fn results(
    store: &Store,
    batch: &str,
) -> anyhow::Result<Vec<(JobRow, anyhow::Result<Evaluation>)>> {
    let mut results = Vec::new();
    for job in store.jobs(Some(batch)).await? {
        let result = match (&job.run_id, &job.error) {
            (Some(run_id), _) => match store.run(run_id).await? {
                Some(run) => run.decode_evaluation(),
                None => Err(anyhow::anyhow!("run {run_id} is missing")),
            },
            (None, Some(error)) => Err(anyhow::anyhow!("{error}")),
            (None, None) => Err(anyhow::anyhow!("job {} is {}", job.id, job.state)),
        };
        results.push((job, result));
    }
    Ok(results)
}

/// Consecutive failed claims after which a worker gives up.
const MAX_CLAIM_FAILURES: u32 = 10;

/// When a worker stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Until {
    /// Runs until the process ends.
    Forever,
    /// Stops when nothing is waiting or running anywhere (a running job whose worker dies
    /// comes back once its lease runs out).
    Drained,
    /// Stops when every job of this batch has been run (by anyone).
    BatchSettled(String),
}

/// A worker: `slots` jobs at once under one name.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Names the worker in the queue (`host:pid`); slots add `/n`.
    pub name: String,
    pub slots: usize,
    /// How long a claim holds without renewal; renewed every third of it.
    pub lease: Duration,
    /// Lost leases after which a job is failed instead of claimed again.
    pub max_attempts: i64,
    /// How often an idle slot looks for work.
    pub poll: Duration,
    pub until: Until,
    /// Once fired, no slot claims another job.
    pub stop: StopSignal,
    /// How long a running job may still take after `stop` fires; then it is handed back to
    /// the queue (state waiting, attempt not counted) for another worker.
    pub stop_grace: Duration,
    /// The runners this worker offers; it claims only jobs needing one of them.
    pub runners: Vec<crate::runner::RunnerKind>,
    /// Whether this worker has a GPU (`--gpu`). No job asks for one yet.
    pub gpu: bool,
}

impl WorkerConfig {
    pub fn new(slots: usize, until: Until) -> WorkerConfig {
        WorkerConfig {
            name: default_worker_name(),
            slots: slots.max(1),
            lease: Duration::from_secs(30),
            max_attempts: 3,
            poll: Duration::from_millis(500),
            until,
            stop: StopSignal::never(),
            stop_grace: Duration::from_secs(60),
            runners: runners::local(),
            gpu: false,
        }
    }
}

/// Runs at once when not told: one per core.
pub fn default_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `host:pid`.
pub fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// What became of one claimed job.
pub enum Outcome {
    Recorded {
        run_id: String,
        evaluation: Box<Evaluation>,
    },
    Failed(String),
    /// The lease was lost while running; another worker has the job.
    LeaseLost,
    /// The worker was stopped and the job did not finish within the grace period: it is
    /// back in the queue for another worker.
    Released,
}

/// Runs the worker until `config.until`; `report` hears of every job this worker finished.
pub async fn work(
    store: Store,
    blobs: Blobs,
    sandbox: Sandbox,
    config: WorkerConfig,
    report: Arc<dyn Fn(&JobRow, &Outcome) + Send + Sync>,
) -> anyhow::Result<()> {
    let mut slots = tokio::task::JoinSet::new();
    for slot in 1..=config.slots {
        let (store, blobs, sandbox, config, report) = (
            store.clone(),
            blobs.clone(),
            sandbox.clone(),
            config.clone(),
            report.clone(),
        );
        slots.spawn(async move {
            let name = format!("{}/{slot}", config.name);
            let mut failures = 0;
            loop {
                if config.stop.is_requested() {
                    return anyhow::Ok(());
                }
                let batch = match &config.until {
                    Until::BatchSettled(batch) => Some(batch.as_str()),
                    _ => None,
                };
                let lease_ms = config.lease.as_millis() as i64;
                let offered: Vec<&str> = config.runners.iter().map(|k| k.name()).collect();
                let claimed = match store
                    .claim(
                        &name,
                        batch,
                        &offered,
                        lease_ms,
                        config.max_attempts,
                        now_ms(),
                    )
                    .await
                {
                    Ok(claimed) => {
                        failures = 0;
                        claimed
                    }
                    // A database that blinks (a restart, a full pool) is waited out.
                    Err(e) if failures < MAX_CLAIM_FAILURES => {
                        failures += 1;
                        tracing::warn!("{name}: cannot claim ({e:#}); retrying");
                        tokio::time::sleep(config.poll * 4).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let Some(job) = claimed else {
                    if done_waiting(&store, &config.until).await? {
                        return anyhow::Ok(());
                    }
                    tokio::select! {
                        () = tokio::time::sleep(config.poll) => {}
                        () = config.stop.requested() => {}
                    }
                    continue;
                };
                let outcome = run_job(&store, &blobs, &sandbox, &config, &name, &job).await;
                report(&job, &outcome);
            }
        });
    }
    while let Some(slot) = slots.join_next().await {
        slot??;
    }
    Ok(())
}

/// Whether an idle slot may stop.
async fn done_waiting(store: &Store, until: &Until) -> anyhow::Result<bool> {
    Ok(match until {
        Until::Forever => false,
        Until::Drained => store
            .queue_counts()
            .await?
            .iter()
            .all(|(state, n)| *n == 0 || state.is_settled()),
        // Jobs of the batch still running elsewhere may yet come back (a lost lease).
        Until::BatchSettled(batch) => store
            .jobs(Some(batch))
            .await?
            .iter()
            .all(|j| j.state.is_settled()),
    })
}

/// Evaluates one claimed job, renewing its lease meanwhile, and records the result.
async fn run_job(
    store: &Store,
    blobs: &Blobs,
    sandbox: &Sandbox,
    config: &WorkerConfig,
    name: &str,
    job: &JobRow,
) -> Outcome {
    let evaluation = {
        let running = execute_job(store, blobs, sandbox, job);
        tokio::pin!(running);
        let mut renew = tokio::time::interval(config.lease / 3);
        renew.tick().await;
        // Armed when a stop is asked for: the job's remaining time.
        let mut grace: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
        loop {
            tokio::select! {
                result = &mut running => break result,
                () = config.stop.requested(), if grace.is_none() => {
                    grace = Some(Box::pin(tokio::time::sleep(config.stop_grace)));
                }
                () = async { grace.as_mut().expect("armed").await }, if grace.is_some() => {
                    // The evaluation's thread is abandoned (the process is exiting); its
                    // result, if any, is never recorded.
                    return match store.release(&job.id, name).await {
                        Ok(_) => Outcome::Released,
                        Err(e) => Outcome::Failed(format!("handing the job back: {e:#}")),
                    };
                }
                _ = renew.tick() => {
                    let until = now_ms() + config.lease.as_millis() as i64;
                    // A failed renewal is only logged: finish() refuses a lost lease anyway.
                    if let Err(e) = store.renew(&job.id, name, until).await {
                        tracing::warn!("renewing the lease of {}: {e:#}", job.id);
                    }
                }
            }
        }
    };
    let recorded = match evaluation {
        Ok(evaluation) => match serde_json::to_string(&evaluation) {
            Ok(text) => store
                .finish(job, name, &text, now_ms())
                .await
                .map(|run| match run {
                    Some(run) => Outcome::Recorded {
                        run_id: run.id,
                        evaluation: Box::new(evaluation),
                    },
                    None => Outcome::LeaseLost,
                }),
            Err(e) => Err(e.into()),
        },
        Err(e) => {
            let reason = format!("{e:#}");
            store
                .fail(&job.id, name, &reason, now_ms())
                .await
                .map(|held| {
                    if held {
                        Outcome::Failed(reason)
                    } else {
                        Outcome::LeaseLost
                    }
                })
        }
    };
    recorded.unwrap_or_else(|e| Outcome::Failed(format!("recording the result: {e:#}")))
}

async fn execute_job(
    store: &Store,
    blobs: &Blobs,
    sandbox: &Sandbox,
    job: &JobRow,
) -> anyhow::Result<Evaluation> {
    let options: JobOptions = job.decode_options()?;
    let submission = store
        .submission(&job.submission_id)
        .await?
        .filter(|s| s.id == job.submission_id)
        .ok_or_else(|| anyhow::anyhow!("submission {} is gone", job.submission_id))?;
    let assignment = store.assignment_of(&submission.pseudonym).await?;
    let (sandbox, blobs) = (sandbox.clone(), blobs.clone());
    match job.kind {
        RunPurpose::Evaluate => {
            tokio::task::spawn_blocking(move || {
                evaluate::evaluate(
                    &sandbox,
                    &blobs,
                    &assignment,
                    &submission,
                    options.evaluate_options(),
                )
            })
            .await?
        }
        RunPurpose::Rerun => {
            let (original_run, before) = rerun::original(store, &submission.id).await?;
            tokio::task::spawn_blocking(move || {
                rerun::rerun(
                    &sandbox,
                    &blobs,
                    &assignment,
                    &submission,
                    &original_run,
                    &before,
                )
            })
            .await?
        }
    }
}
