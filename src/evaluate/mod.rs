//! Evaluating a submission: run its entry point in the sandbox under the assignment's runner
//! and limits (public data mounted, hidden data never), score the output against the hidden
//! truth, and check the report's claims.

pub mod basis;
pub mod claims;
pub mod claims_text;
pub mod fallback;
pub mod model;
pub mod onnx;
pub mod rerun;
pub mod scoring;
pub mod smoke;

use std::path::{Path, PathBuf};

use anyhow::bail;
use serde::{Deserialize, Serialize};

use crate::assignment::{Assignment, PackageTarget, SubmissionManifest};
use crate::base::FileRef;
use crate::runner::{self, Invocation};
use crate::sandbox::{ClockMode, Limits, RunRecord, Sandbox};
use crate::store::{AssignmentRow, Blobs, SubmissionRow};
use crate::submission::intake::Validation;
use crate::submission::packages as own_packages;
pub use basis::ScoreBasis;
use claims::ClaimCheck;
use model::ModelCheck;
pub use scoring::{ScoreDetail, ScoreOutcome, Scored};
use scoring::{run_scoring_program, score_outputs};
pub use smoke::SmokeRun;

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

/// Everything one evaluation found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub record: RunRecord,
    pub score: ScoreOutcome,
    pub claims: Vec<ClaimCheck>,
    /// Every claim found in the report's text, checked, with its quote and location.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_claims: Vec<ClaimCheck>,
    pub outputs: Vec<FileRef>,
    /// What the score was computed from: `run`, `model inference`, or `as handed in, not
    /// reproduced`.
    #[serde(default = "ScoreBasis::run")]
    pub score_basis: ScoreBasis,
    /// Why the run did not give the score, when the score is not the run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_run_reason: Option<String>,
    /// The handed-in model (`[model]` in `submission.toml`), run and scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelCheck>,
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
    let assignment: Assignment = assignment_row.decode_manifest()?;
    let manifest: SubmissionManifest = submission.decode_manifest()?;
    let assignment_files: Vec<FileRef> = assignment_row.decode_files()?;
    let submission_files: Vec<FileRef> = submission.decode_files()?;

    // The runner copies `folder` into a fresh working copy for the run, so the files written
    // here stay as stored; `out` receives a copy of every file the run created or changed.
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

    let kind = manifest.runner;
    let limits = assignment.runner.limits.apply(&kind.default_limits());
    let invocation = Invocation {
        args: Vec::new(),
        env: Vec::new(),
        data: Some(data.clone()),
        out: Some(out.clone()),
        mounts: Vec::new(),
        site: runner::site::site_for(blobs, assignment_row)?,
        wheels: match assignment.runner.package_target() {
            PackageTarget::Native => {
                // The submission's own wheels after the assignment's: of two of one name,
                // the submission's is installed.
                let validation: Validation = submission.decode_validation()?;
                let mut wheels = runner::native::packages::local_wheels(blobs, assignment_row)?;
                wheels.extend(own_packages::local_wheels(blobs, &validation.packages)?);
                wheels
            }
            PackageTarget::PurePython => Vec::new(),
        },
        workdir: None,
        seed: options.seed,
        clock: options.clock,
        limits,
    };
    anyhow::ensure!(
        !manifest.entry.is_empty(),
        "the stored manifest names no entry"
    );
    // Several entries run in order in one working copy.
    let programs: Vec<PathBuf> = manifest.entry.iter().map(|e| folder.join(e)).collect();
    let (record, kind) = fallback::run(
        sandbox,
        kind,
        &assignment.runner,
        &folder,
        &programs,
        &invocation,
    )?;

    let mut outputs = Vec::new();
    for file in record
        .outputs
        .iter()
        .filter(|f| f.kind == crate::sandbox::OutputKind::File && f.sha256.is_some())
    {
        let sha256 = blobs.put_file(&out.join(&file.path))?;
        outputs.push(FileRef {
            path: file.path.clone(),
            bytes: file.bytes,
            sha256,
        });
    }
    // Scores the prediction files in a folder laid out like the run's outputs.
    let score_from = |folder: &Path| match &assignment.scoring.program {
        Some(program) => run_scoring_program(
            sandbox,
            blobs,
            &assignment,
            &assignment_files,
            folder,
            program,
            options,
        ),
        None => score_outputs(blobs, &assignment, &assignment_files, folder),
    };
    let run_score = score_from(&out);
    let model = manifest.model.as_ref().map(|spec| {
        // The preprocessing runs like the entry point; its outputs land in a fresh folder.
        let preprocess = |script: &str| {
            let into = work.path().join("preprocessed");
            let invocation = Invocation {
                out: Some(into.clone()),
                ..invocation.clone()
            };
            let record = runner::run(sandbox, kind, &folder, &folder.join(script), &invocation)?;
            Ok((record, into))
        };
        let places = (folder.as_path(), data.as_path());
        model::check(
            spec,
            &assignment,
            blobs,
            &submission_files,
            places,
            preprocess,
            &score_from,
        )
    });
    let judged = basis::judge(
        run_score,
        model.as_ref(),
        &record,
        blobs,
        &submission_files,
        &assignment.scoring.output,
        &score_from,
    )?;
    let score = judged.score;
    let report = crate::report::read(blobs, &submission_files, &manifest.report);
    let found = claims_text::extract(&report.pieces, assignment.scoring.metric);
    let mut checked = claims::check_submission(
        &manifest.claims,
        &found,
        assignment.scoring.metric,
        score.score(),
        assignment.scoring.tolerance,
    );
    basis::restate(&mut checked.decisive, judged.basis);
    basis::restate(&mut checked.report, judged.basis);
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
        claims: checked.decisive,
        report_claims: checked.report,
        outputs,
        score_basis: judged.basis,
        not_run_reason: judged.not_run_reason,
        model,
        provenance,
        comparison: None,
    })
}
