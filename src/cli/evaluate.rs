//! `takehome evaluate`: run, score and check the claims of submissions.

use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use std::sync::Arc;

use super::WorkspaceOptions;
use crate::evaluate::{Evaluation, Scored};
use crate::queue::{self, JobOptions, Outcome, Until, WorkerConfig};
use crate::sandbox::Sandbox;
use crate::store::SubmissionRow;
use crate::store::queue::JobRow;

/// Run each submission's entry point in the sandbox under its assignment's runner and
/// limits (public data mounted, hidden data never), keep the run record and every output,
/// score the output against the hidden truth, and check the report's claims.
///
/// The evaluations go through the work queue: this command enqueues them and works through
/// them itself (any running `takehome worker` helps), or with --no-wait leaves them to
/// workers.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    selection: super::workspace::Selection,
    /// Runs at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Seed for the runs' randomness.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Use the host's real clocks: the run is then not reproducible (for finding out).
    #[arg(long)]
    real_clock: bool,
    /// Install the Python runner if it is missing.
    #[arg(long)]
    install_runners: bool,
    /// Print the evaluations as JSON.
    #[arg(long)]
    json: bool,
    /// Only queue the evaluations and return; `takehome worker` processes run them.
    #[arg(long)]
    no_wait: bool,
}

pub async fn execute(args: EvaluateArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let targets = args.selection.resolve(&workspace).await?;
    let sandbox = Sandbox::new(Some(crate::base::cache_dir()))?;
    if !args.no_wait {
        super::runner::ensure_python_off_runtime(&sandbox, args.install_runners).await?;
    }
    let job_options = JobOptions {
        seed: args.seed,
        real_clock: args.real_clock,
    };
    let (batch, jobs) = queue::enqueue(
        &workspace.store,
        &targets,
        job_options,
        queue::PRIORITY_BATCH,
    )
    .await?;
    if args.no_wait {
        println!(
            "queued {} evaluation(s) as batch {batch}: `takehome worker` runs them, `takehome status` shows the queue",
            jobs.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let slots = args.jobs.unwrap_or_else(queue::default_slots);
    let results = work_through(&workspace, &targets, &batch, jobs.len(), sandbox, slots).await?;
    print_results(&results, args.json)?;
    Ok(if results.iter().all(|(_, r)| r.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Works through the evaluation batch `batch` (of `count` jobs for `targets`) with `slots`
/// runs at once and a progress bar (any running `takehome worker` helps); returns each
/// target's evaluation or why there is none, in the order of the batch's jobs.
pub(super) async fn work_through(
    workspace: &crate::store::Workspace,
    targets: &[SubmissionRow],
    batch: &str,
    count: usize,
    sandbox: Sandbox,
    slots: usize,
) -> anyhow::Result<Vec<(SubmissionRow, anyhow::Result<Evaluation>)>> {
    work_batch(
        workspace,
        targets,
        batch,
        count,
        sandbox,
        slots,
        "evaluated",
    )
    .await
}

/// [`work_through`] for any batch (evaluations or reruns); `done` labels the progress bar.
pub(super) async fn work_batch(
    workspace: &crate::store::Workspace,
    targets: &[SubmissionRow],
    batch: &str,
    count: usize,
    sandbox: Sandbox,
    slots: usize,
    done: &str,
) -> anyhow::Result<Vec<(SubmissionRow, anyhow::Result<Evaluation>)>> {
    let bar = ProgressBar::new(count as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {done} [{{elapsed}}] {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report_bar = bar.clone();
    let report: Arc<dyn Fn(&JobRow, &Outcome) + Send + Sync> = Arc::new(move |job, _| {
        report_bar.set_message(job.submission_id.clone());
    });
    // The bar counts every settled job of the batch, whichever worker ran it.
    let (store, watched, watch_bar) = (workspace.store.clone(), batch.to_string(), bar.clone());
    let watcher = tokio::spawn(async move {
        loop {
            if let Ok(jobs) = store.jobs(Some(&watched)).await {
                let settled = jobs.iter().filter(|j| j.state.is_settled()).count();
                watch_bar.set_position(settled as u64);
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    });
    let config = WorkerConfig::new(slots, Until::BatchSettled(batch.to_string()));
    let worked = queue::work(
        workspace.store.clone(),
        workspace.blobs.clone(),
        sandbox,
        config,
        report,
    )
    .await;
    watcher.abort();
    bar.finish_and_clear();
    worked?;
    let mut results = Vec::new();
    for (job, result) in queue::results(&workspace.store, batch).await? {
        let Some(submission) = targets.iter().find(|s| s.id == job.submission_id) else {
            anyhow::bail!("job {} of batch {batch} is not one of its targets", job.id);
        };
        results.push((submission.clone(), result));
    }
    Ok(results)
}

fn print_results(
    results: &[(SubmissionRow, anyhow::Result<Evaluation>)],
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let list: Vec<serde_json::Value> = results
            .iter()
            .map(|(s, r)| match r {
                Ok(e) => serde_json::json!({"submission": s.id, "evaluation": e}),
                Err(e) => serde_json::json!({"submission": s.id, "error": format!("{e:#}")}),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    println!(
        "{:<12} {:<14} {:<24} claims",
        "submission", "verdict", "score"
    );
    for (submission, result) in results {
        match result {
            Err(e) => println!("{:<12} error: {e:#}", submission.id),
            Ok(e) => {
                let mut score = match &e.score.result {
                    Scored::Value(v) => format!("{} {v:.4}", e.score.metric),
                    Scored::Failed(_) => "not scored".to_string(),
                };
                if !e.score_basis.is_run() {
                    score.push_str(&format!(" ({})", e.score_basis));
                }
                let claims: Vec<String> = e
                    .claims
                    .iter()
                    .map(|c| match c.measured {
                        Some(m) => format!(
                            "{} {} (claimed {}, measured {m:.4})",
                            c.metric,
                            c.status.as_str(),
                            c.claimed
                        ),
                        None => format!("{} {}", c.metric, c.status.as_str()),
                    })
                    .collect();
                println!(
                    "{:<12} {:<14} {:<24} {}",
                    submission.id,
                    e.record.verdict.as_str(),
                    score,
                    claims.join("; ")
                );
                if let Scored::Failed(error) = &e.score.result {
                    println!("{:<12} scoring: {error}", "");
                }
                if let Some(reason) = &e.not_run_reason {
                    println!("{:<12} the code did not produce it: {reason}", "");
                }
                if let Some(model) = &e.model {
                    for line in model.lines() {
                        println!("{:<12} {line}", "");
                    }
                }
                for detail in &e.score.details {
                    let examples = if detail.examples.is_empty() {
                        String::new()
                    } else {
                        format!(" (e.g. {})", detail.examples.join("; "))
                    };
                    println!("{:<12} {}: {}{examples}", "", detail.name, detail.count);
                }
                // Leads for the interview the methodology tracer saw while the code ran.
                for finding in e.record.methodology.iter().flat_map(|m| &m.findings) {
                    println!("{:<12} methodology: {}", "", finding.summary());
                }
            }
        }
    }
    Ok(())
}
