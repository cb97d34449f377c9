//! Evaluating a submission: run its entry point in the sandbox under the assignment's runner
//! and limits (public data mounted, hidden data never), score the output against the hidden
//! truth, and check the report's claims.

pub mod claims;
pub mod rerun;

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::assignment::{Assignment, SubmissionManifest};
use crate::issue::bundle::StoredFile;
use crate::runner::{self, Invocation, RunnerKind};
use crate::sandbox::{ClockMode, Limits, RunRecord, Sandbox};
use crate::store::{AssignmentRow, Blobs, SubmissionRow};
use crate::submission::archive::UnpackedFile;
use claims::ClaimCheck;

/// The automatic score, or why there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreOutcome {
    pub metric: String,
    pub value: Option<f64>,
    /// Why the output could not be scored, naming the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where a score came from: enough to reproduce it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub assignment_id: String,
    pub assignment_hash: String,
    pub submission_id: String,
    pub submission_hash: String,
    pub runner: String,
    pub module_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_sha256: Option<String>,
    pub seed: u64,
    pub limits: Limits,
    pub takehome: String,
    pub wasmtime: String,
}

/// A stored output file: its path under `out/` and the blob holding it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptOutput {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Everything one evaluation found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub record: RunRecord,
    pub score: ScoreOutcome,
    pub claims: Vec<ClaimCheck>,
    pub outputs: Vec<KeptOutput>,
    pub provenance: Provenance,
    /// For a rerun: how it compares with the stored evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<rerun::Comparison>,
}

/// How to run: the seed and the clock. Reruns use the same.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub seed: u64,
    pub clock: ClockMode,
}

/// Writes stored files into `dest`, refusing any path that would leave it.
pub fn materialize(blobs: &Blobs, files: &[(String, String)], dest: &Path) -> anyhow::Result<()> {
    for (path, sha256) in files {
        if path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
            || path.starts_with('/')
        {
            bail!("stored path {path:?} is not a plain relative path");
        }
        let target = dest.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, blobs.get(sha256)?)?;
    }
    Ok(())
}

/// Runs, scores and checks one submission version.
pub fn evaluate(
    sandbox: &Sandbox,
    blobs: &Blobs,
    assignment_row: &AssignmentRow,
    submission: &SubmissionRow,
    options: Options,
) -> anyhow::Result<Evaluation> {
    let assignment: Assignment =
        serde_json::from_str(&assignment_row.manifest).context("stored assignment")?;
    let manifest: SubmissionManifest =
        serde_json::from_str(&submission.manifest).context("stored submission.toml")?;
    let assignment_files: Vec<StoredFile> = serde_json::from_str(&assignment_row.files)?;
    let submission_files: Vec<UnpackedFile> = serde_json::from_str(&submission.files)?;

    let work = tempfile::tempdir()?;
    let folder = work.path().join("submission");
    let data = work.path().join("data");
    let out = work.path().join("out");
    std::fs::create_dir_all(&folder)?;
    std::fs::create_dir_all(&data)?;
    std::fs::create_dir_all(&out)?;
    let own: Vec<(String, String)> = submission_files
        .iter()
        .map(|f| (f.path.clone(), f.sha256.clone()))
        .collect();
    materialize(blobs, &own, &folder)?;
    // Only public data is mounted; hidden files never leave the blob store for a run.
    let public: Vec<(String, String)> = assignment_files
        .iter()
        .filter_map(|f| {
            f.path
                .strip_prefix("data/")
                .map(|rel| (rel.to_string(), f.sha256.clone()))
        })
        .collect();
    materialize(blobs, &public, &data)?;

    let kind: RunnerKind = manifest
        .runner
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let limits = assignment.runner.limits.apply(&kind.default_limits());
    let invocation = Invocation {
        args: Vec::new(),
        env: Vec::new(),
        data: Some(data),
        out: Some(out.clone()),
        mounts: Vec::new(),
        site: None,
        seed: options.seed,
        clock: options.clock,
        limits,
    };
    let record = runner::run(
        sandbox,
        kind,
        &folder,
        &folder.join(&manifest.entry),
        &invocation,
    )?;

    let mut outputs = Vec::new();
    for file in record
        .outputs
        .iter()
        .filter(|f| f.kind == "file" && f.sha256.is_some())
    {
        let sha256 = blobs.put_file(&out.join(&file.path))?;
        outputs.push(KeptOutput {
            path: format!("out/{}", file.path),
            bytes: file.bytes,
            sha256,
        });
    }
    let score = match &assignment.scoring.program {
        Some(program) => run_scoring_program(
            sandbox,
            blobs,
            &assignment,
            &assignment_files,
            &out,
            program,
            options,
        ),
        None => score_outputs(blobs, &assignment, &assignment_files, &out),
    };
    let claims = claims::check(
        &manifest.claims,
        assignment.scoring.metric,
        score.value,
        assignment.scoring.tolerance,
    );
    let provenance = Provenance {
        assignment_id: assignment.id.clone(),
        assignment_hash: assignment_row.content_hash.clone(),
        submission_id: submission.id.clone(),
        submission_hash: submission.content_hash.clone(),
        runner: record.runner.name.clone(),
        module_sha256: record.module_sha256.clone(),
        snapshot_sha256: record.runner.snapshot_sha256.clone(),
        seed: options.seed,
        limits: record.limits.clone(),
        takehome: record.versions.takehome.clone(),
        wasmtime: record.versions.wasmtime.clone(),
    };
    Ok(Evaluation {
        record,
        score,
        claims,
        outputs,
        provenance,
        comparison: None,
    })
}

/// Runs the assignment's own scoring program in the sandbox. Its working folder holds the
/// program (`scoring/`), the hidden files (`hidden/`) and the candidate's outputs
/// (`outputs/`), all read-only; the last line it prints is the value.
fn run_scoring_program(
    sandbox: &Sandbox,
    blobs: &Blobs,
    assignment: &Assignment,
    files: &[StoredFile],
    out: &Path,
    program: &str,
    options: Options,
) -> ScoreOutcome {
    let metric = assignment.scoring.metric.name().to_string();
    let failed = |error: String| ScoreOutcome {
        metric: metric.clone(),
        value: None,
        error: Some(error),
    };
    let outcome = (|| -> anyhow::Result<Result<f64, String>> {
        let work = tempfile::tempdir()?;
        let folder = work.path().join("scorer");
        let own: Vec<(String, String)> = files
            .iter()
            .filter(|f| f.path.starts_with("scoring/") || f.path.starts_with("hidden/"))
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .collect();
        materialize(blobs, &own, &folder)?;
        let outputs = folder.join("outputs");
        std::fs::create_dir_all(&outputs)?;
        for entry in crate::sandbox::outputs::collect(out, u64::MAX, 10_000) {
            if entry.kind == "file" {
                let target = outputs.join(&entry.path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut source = crate::sandbox::outputs::open_regular(&out.join(&entry.path))
                    .ok_or_else(|| anyhow::anyhow!("cannot read the output {}", entry.path))?;
                std::io::copy(&mut source, &mut std::fs::File::create(target)?)?;
            }
        }
        let kind = crate::runner::RunnerKind::for_path(Path::new(program))
            .ok_or_else(|| anyhow::anyhow!("cannot tell the runner of {program}"))?;
        let invocation = Invocation {
            args: Vec::new(),
            env: Vec::new(),
            data: None,
            out: None,
            mounts: if kind == RunnerKind::Wasi {
                vec![crate::sandbox::Mount {
                    guest: "/work".into(),
                    host: folder.clone(),
                    writable: false,
                }]
            } else {
                Vec::new()
            },
            site: None,
            seed: options.seed,
            clock: ClockMode::Virtual,
            limits: assignment.runner.limits.apply(&kind.default_limits()),
        };
        let record = runner::run(sandbox, kind, &folder, &folder.join(program), &invocation)?;
        if record.verdict != crate::sandbox::Verdict::Ok {
            return Ok(Err(format!(
                "the scoring program {program} ended with {}: {}\n{}",
                record.verdict, record.message, record.stderr.text
            )));
        }
        let last = record
            .stdout
            .text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        Ok(match last.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(value),
            _ => Err(format!(
                "the scoring program {program} printed no number as its last line (it printed {last:?})"
            )),
        })
    })();
    match outcome {
        Ok(Ok(value)) => ScoreOutcome {
            metric,
            value: Some(value),
            error: None,
        },
        Ok(Err(error)) => failed(error),
        Err(error) => failed(format!(
            "cannot run the scoring program {program}: {error:#}"
        )),
    }
}

fn score_outputs(
    blobs: &Blobs,
    assignment: &Assignment,
    files: &[StoredFile],
    out: &Path,
) -> ScoreOutcome {
    let scoring = &assignment.scoring;
    let metric = scoring.metric.name().to_string();
    let failed = |error: String| ScoreOutcome {
        metric: metric.clone(),
        value: None,
        error: Some(error),
    };
    let Some(relative) = scoring.output.strip_prefix("out/") else {
        return failed(format!(
            "the scored output {} is not under out/",
            scoring.output
        ));
    };
    let Some(file) = crate::sandbox::outputs::open_regular(&out.join(relative)) else {
        return failed(format!("the run left no {}", scoring.output));
    };
    let mut predictions = String::new();
    if let Err(e) =
        std::io::Read::read_to_string(&mut std::io::Read::take(file, 256 << 20), &mut predictions)
    {
        return failed(format!("{} is not UTF-8 text: {e}", scoring.output));
    }
    let Some(truth_file) = files.iter().find(|f| f.path == scoring.truth) else {
        return failed(format!("the assignment has no {}", scoring.truth));
    };
    let truth = match blobs.get(&truth_file.sha256).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        _ => return failed(format!("cannot read {}", scoring.truth)),
    };
    match crate::score::score(
        scoring.metric,
        scoring.k,
        &truth,
        &predictions,
        &scoring.id_column,
        &scoring.target_column,
        &scoring.prediction_column,
    ) {
        Ok(value) => ScoreOutcome {
            metric,
            value: Some(value),
            error: None,
        },
        Err(e) => failed(format!("{}: {e}", scoring.output)),
    }
}
