//! `takehome rerun`: run submissions again and prove they reproduce.

use std::process::ExitCode;

use clap::Args;

use super::{WorkspaceOptions, usage};
use crate::evaluate::{self, Evaluation, Options, rerun};
use crate::sandbox::{Sandbox, default_cache_dir};

/// Run evaluated submissions again and compare with the stored run: verdict, fuel,
/// stdout/stderr and every output file by hash. Runs are bit-identical by default, so any
/// difference is nondeterminism, shown as a readable diff (text files line by line, CSV and
/// JSON numerically). Exits non-zero if anything did not reproduce.
#[derive(Args, Debug)]
pub struct RerunArgs {
    #[command(flatten)]
    selection: super::workspace::Selection,
    /// Print the comparisons as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn execute(args: RerunArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let targets = args.selection.resolve(&workspace).await?;
    let sandbox = Sandbox::new(Some(default_cache_dir()))?;
    super::runner::ensure_python_off_runtime(&sandbox, false).await?;
    let mut rows = Vec::new();
    for submission in targets {
        let comparison = rerun_one(&workspace, &sandbox, &submission).await?;
        rows.push((submission.id.clone(), comparison));
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

/// Runs one evaluated submission again with the stored seed and clock, stores the rerun,
/// and returns how it compares with the stored evaluation.
pub(super) async fn rerun_one(
    workspace: &crate::store::Workspace,
    sandbox: &Sandbox,
    submission: &crate::store::SubmissionRow,
) -> anyhow::Result<rerun::Comparison> {
    let Some(original) = workspace
        .store
        .runs(&submission.id, "evaluate")
        .await?
        .pop()
    else {
        return Err(usage(format!(
            "{} has not been evaluated yet: run `takehome evaluate {}` first",
            submission.id, submission.id
        )));
    };
    let before: Evaluation = serde_json::from_str(&original.evaluation)?;
    let assignment = workspace.store.assignment_of(&submission.pseudonym).await?;
    let run_options = Options {
        seed: before.provenance.seed,
        clock: before.record.clock,
    };
    let (sandbox, blobs, sub) = (sandbox.clone(), workspace.blobs.clone(), submission.clone());
    let mut after = tokio::task::spawn_blocking(move || {
        evaluate::evaluate(&sandbox, &blobs, &assignment, &sub, run_options)
    })
    .await??;
    let comparison = rerun::compare(&workspace.blobs, &original.id, &before, &after);
    after.comparison = Some(comparison.clone());
    workspace
        .store
        .add_run(
            &submission.id,
            "rerun",
            &serde_json::to_string(&after)?,
            crate::issue::now_ms(),
        )
        .await?;
    Ok(comparison)
}
