//! The work queue: what claiming and recording cost per run on each backend, and how many
//! evaluations per minute one and two `takehome worker` processes get through.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{Row, format_duration, print_table};
use crate::store::queue::NewJob;
use crate::store::{AssignmentRow, CandidateRow, Store, SubmissionRow, Workspace};

/// Runs both measurements on SQLite and, given `postgres` (a database it may write into),
/// on PostgreSQL. `churn` is the churn example assignment folder (its `examples/strong` is
/// the submission evaluated).
pub fn queue(runs: usize, postgres: Option<&str>, churn: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut backends = vec![("SQLite", None)];
    if let Some(url) = postgres {
        backends.push(("PostgreSQL", Some(url)));
    }
    let mut overhead = Vec::new();
    let mut throughput = Vec::new();
    for (name, url) in &backends {
        eprintln!("{name}: claiming and recording {runs} runs ...");
        let per_run = runtime.block_on(claim_and_record(*url, runs))?;
        overhead.push(Row {
            what: format!("{name}: claim + record one run"),
            median: per_run,
            note: format!("mean over {runs} runs, one process, no sandbox work"),
        });
        for workers in [1, 2] {
            eprintln!("{name}: {runs} Python evaluations with {workers} worker(s) ...");
            let took = evaluations(*url, runs, workers, churn)?;
            let per_minute = runs as f64 / took.as_secs_f64() * 60.0;
            throughput.push(Row {
                what: format!("{name}: {workers} worker(s), {runs} runs"),
                median: took,
                note: format!("{per_minute:.0} runs/min"),
            });
        }
    }
    print_table("Queue overhead per run", &overhead);
    print_table(
        "Evaluation throughput (python runner, churn's strong example; whole batch)",
        &throughput,
    );
    Ok(())
}

/// A fresh workspace folder on `url` (or SQLite).
async fn workspace(dir: &Path, url: Option<&str>) -> anyhow::Result<Workspace> {
    Workspace::init(dir).await?;
    Workspace::open(dir, url).await
}

async fn claim_and_record(url: Option<&str>, runs: usize) -> anyhow::Result<Duration> {
    let dir = tempfile::tempdir()?;
    let workspace = workspace(dir.path(), url).await?;
    let store = &workspace.store;
    let submission = synthetic_submission(store).await?;
    let jobs: Vec<NewJob> = (0..runs)
        .map(|_| NewJob {
            kind: crate::store::RunPurpose::Evaluate,
            submission_id: submission.clone(),
            options: "{}".into(),
            priority: 0,
            runner: "python".into(),
        })
        .collect();
    let batch = format!("bench-{}", hex::encode(rand::random::<[u8; 4]>()));
    store.enqueue(&batch, &jobs, crate::base::now_ms()).await?;
    let start = Instant::now();
    while let Some(job) = store
        .claim(
            "bench",
            Some(&batch),
            &["python"],
            30_000,
            3,
            crate::base::now_ms(),
        )
        .await?
    {
        store
            .finish(&job, "bench", "{}", crate::base::now_ms())
            .await?
            .context("the bench lost its own lease")?;
    }
    Ok(start.elapsed() / runs.max(1) as u32)
}

/// Rows the queue needs to point at: an assignment, a candidate, a submission.
async fn synthetic_submission(store: &Store) -> anyhow::Result<String> {
    let tag = hex::encode(rand::random::<[u8; 6]>());
    let (assignment, _) = store
        .add_assignment(AssignmentRow {
            content_hash: format!("bench-{tag}"),
            id: format!("bench-{tag}"),
            revision: 0,
            version: "0.0.0".into(),
            title: "bench".into(),
            manifest: "{}".into(),
            files: "[]".into(),
            added_at: 0,
        })
        .await?;
    let pseudonym = format!("C-B{}", tag.to_uppercase());
    store
        .add_candidate(&CandidateRow {
            pseudonym: pseudonym.clone(),
            name: "bench".into(),
            email: format!("{tag}@bench"),
            assignment_hash: assignment.content_hash,
            token_hash: tag.clone(),
            issued_at: 0,
            due_at: 0,
            bundle_sha256: String::new(),
        })
        .await?;
    let row = store
        .add_submission(SubmissionRow {
            id: String::new(),
            pseudonym,
            seq: 0,
            content_hash: tag,
            files: "[]".into(),
            manifest: "{}".into(),
            validation: "{}".into(),
            received_at: 0,
            late: false,
            same_as: None,
        })
        .await?;
    Ok(row.id)
}

/// Wall time for `workers` worker processes to drain `runs` queued Python evaluations.
fn evaluations(
    url: Option<&str>,
    runs: usize,
    workers: usize,
    churn: &Path,
) -> anyhow::Result<Duration> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let exe = std::env::current_exe()?;
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        let mut command = Command::new(&exe);
        command.args(args).arg("--workspace").arg(root);
        if let Some(url) = url {
            command.args(["--db", url]);
        }
        let out = command.output()?;
        anyhow::ensure!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    Command::new(&exe).arg("init").arg(root).output()?;
    cli(&["assignment", "add", churn.to_str().context("path")?])?;
    // A real short submission: pandas + scikit-learn, a few seconds of compute.
    let submission = churn.join("examples/strong");
    let issued = cli(&["issue", "churn", "--candidate", "Bench <bench@example.org>"])?;
    let pseudonym = issued
        .split_whitespace()
        .skip_while(|w| *w != "as")
        .nth(1)
        .context("no pseudonym")?
        .to_string();
    cli(&["submit", &pseudonym, submission.to_str().context("path")?])?;
    for _ in 0..runs {
        cli(&["evaluate", &pseudonym, "--no-wait"])?;
    }
    let start = Instant::now();
    let mut children = Vec::new();
    for _ in 0..workers {
        let mut command = Command::new(&exe);
        command
            .args(["worker", "--drain", "--jobs", "1", "--workspace"])
            .arg(root)
            .stdout(Stdio::null());
        if let Some(url) = url {
            command.args(["--db", url]);
        }
        children.push(command.spawn()?);
    }
    for mut child in children {
        anyhow::ensure!(child.wait()?.success(), "a worker failed");
    }
    let took = start.elapsed();
    eprintln!("  {} per run", format_duration(took / runs.max(1) as u32));
    Ok(took)
}
