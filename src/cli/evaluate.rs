//! `takehome evaluate`: run, score and check the claims of submissions.

use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::WorkspaceOptions;
use crate::evaluate::{self, Evaluation, Options, batch};
use crate::sandbox::{ClockMode, Sandbox, default_cache_dir};
use crate::store::SubmissionRow;

/// Run each submission's entry point in the sandbox under its assignment's runner and
/// limits (public data mounted, hidden data never), keep the run record and every output,
/// score the output against the hidden truth, and check the report's claims.
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
}

pub async fn execute(args: EvaluateArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let targets = args.selection.resolve(&workspace).await?;
    let sandbox = Sandbox::new(Some(default_cache_dir()))?;
    super::runner::ensure_python(&sandbox, args.install_runners)?;
    let mut jobs_input = Vec::new();
    for submission in targets {
        let assignment = workspace.store.assignment_of(&submission.pseudonym).await?;
        jobs_input.push((submission, assignment));
    }
    let run_options = Options {
        seed: args.seed,
        clock: if args.real_clock {
            ClockMode::Real
        } else {
            ClockMode::Virtual
        },
    };
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let bar = ProgressBar::new(jobs_input.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} evaluated [{elapsed}] {msg}")
            .expect("static template"),
    );
    let handle = tokio::runtime::Handle::current();
    let store = workspace.store.clone();
    let blobs = workspace.blobs.clone();
    let json = args.json;
    let results = tokio::task::spawn_blocking(move || {
        let mut results: Vec<(SubmissionRow, anyhow::Result<Evaluation>)> = Vec::new();
        batch::run(
            jobs_input,
            jobs,
            |(submission, assignment)| {
                evaluate::evaluate(&sandbox, &blobs, assignment, submission, run_options)
            },
            |(submission, _), result| {
                // Stored as soon as it is done: a batch cut short keeps what finished.
                let stored = result
                    .as_ref()
                    .map_err(|e| anyhow::anyhow!("{e:#}"))
                    .and_then(|evaluation| {
                        let text = serde_json::to_string(evaluation)?;
                        handle.block_on(store.add_run(
                            &submission.id,
                            "evaluate",
                            &text,
                            crate::issue::now_ms(),
                        ))
                    });
                bar.inc(1);
                bar.set_message(submission.id.clone());
                results.push((submission, result.and_then(|e| stored.map(|_| e))));
            },
        );
        bar.finish_and_clear();
        results
    })
    .await?;
    print_results(&results, json)?;
    Ok(if results.iter().all(|(_, r)| r.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
                let score = match (&e.score.value, &e.score.error) {
                    (Some(v), _) => format!("{} {v:.4}", e.score.metric),
                    (None, Some(_)) => "not scored".to_string(),
                    _ => "-".to_string(),
                };
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
                if let Some(error) = &e.score.error {
                    println!("{:<12} scoring: {error}", "");
                }
            }
        }
    }
    Ok(())
}
