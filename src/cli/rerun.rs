//! `takehome rerun`: run submissions again, through the work queue, and prove they reproduce.

use std::process::ExitCode;

use clap::Args;

use super::{WorkspaceOptions, usage};
use crate::evaluate::rerun::{self, NotEvaluated};
use crate::queue;
use crate::sandbox::Sandbox;

/// Run evaluated submissions again and compare with the stored run: verdict, fuel,
/// stdout/stderr and every output file by hash. Runs are bit-identical by default, so any
/// difference is nondeterminism, shown as a readable diff (text files line by line, CSV and
/// JSON numerically). Exits non-zero if anything did not reproduce.
///
/// The reruns go through the work queue like evaluations: this command enqueues them and
/// works through them itself (any running `takehome worker` helps).
#[derive(Args, Debug)]
pub struct RerunArgs {
    #[command(flatten)]
    selection: super::workspace::Selection,
    /// Runs at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Print the comparisons as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn execute(args: RerunArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let targets = args.selection.resolve(&workspace).await?;
    for submission in &targets {
        if let Err(error) = rerun::original(&workspace.store, &submission.id).await {
            return Err(match error.downcast::<NotEvaluated>() {
                Ok(not_evaluated) => usage(not_evaluated.to_string()),
                Err(error) => error,
            });
        }
    }
    let sandbox = Sandbox::new(Some(crate::base::cache_dir()))?;
    super::runner::ensure_python_off_runtime(&sandbox, false).await?;
    let (batch, jobs) =
        queue::enqueue_reruns(&workspace.store, &targets, queue::PRIORITY_BATCH).await?;
    let slots = args.jobs.unwrap_or_else(queue::default_slots);
    let results = super::evaluate::work_batch(
        &workspace,
        &targets,
        &batch,
        jobs.len(),
        sandbox,
        slots,
        "rerun",
    )
    .await?;
    let mut rows = Vec::new();
    for (submission, result) in results {
        let evaluation =
            result.map_err(|e| anyhow::anyhow!("rerunning {}: {e:#}", submission.id))?;
        let Some(comparison) = evaluation.comparison else {
            anyhow::bail!("the rerun of {} carries no comparison", submission.id);
        };
        rows.push((submission.id, comparison));
    }
    if args.json {
        let list: Vec<_> = rows
            .iter()
            .map(|(id, c)| serde_json::json!({"submission": id, "comparison": c}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        println!("{:<12} {:<13} differences", "submission", "reproducible");
        for (id, comparison) in &rows {
            let what: Vec<&str> = comparison
                .differences
                .iter()
                .map(|d| d.what.as_str())
                .collect();
            println!(
                "{id:<12} {:<13} {}",
                if comparison.reproducible { "yes" } else { "NO" },
                what.join(", ")
            );
        }
        for (id, comparison) in rows.iter().filter(|(_, c)| !c.reproducible) {
            println!(
                "\n{id}: not reproduced (nondeterminism) against {}",
                comparison.original_run
            );
            for difference in &comparison.differences {
                println!(
                    "  {}:\n    {}",
                    difference.what,
                    difference.detail.replace('\n', "\n    ")
                );
            }
        }
    }
    Ok(if rows.iter().all(|(_, c)| c.reproducible) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reruns one evaluated submission in this process and stores the rerun (the demo's step).
pub(super) async fn rerun_one(
    workspace: &crate::store::Workspace,
    sandbox: &Sandbox,
    submission: &crate::store::SubmissionRow,
) -> anyhow::Result<rerun::Comparison> {
    rerun::rerun_now(&workspace.store, &workspace.blobs, sandbox, submission).await
}
