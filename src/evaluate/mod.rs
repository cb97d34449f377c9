//! Evaluating a submission: run its entry point in the sandbox under the assignment's runner
//! and limits (public data mounted, hidden data never), score the output against the hidden
//! truth, and check the report's claims.

pub mod claims;
pub mod claims_text;
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
    /// What a scoring program found besides the value (rows lost, rows duplicated, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ScoreDetail>,
}

/// One finding of a scoring program: what it counted, how many, and a few examples.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreDetail {
    pub name: String,
    pub count: u64,
    #[serde(default)]
    pub examples: Vec<String>,
}

/// Bounds on what a scoring program's details may carry into records and packets (they may
/// quote the candidate's own values): longer lists are cut, longer texts shortened.
const MAX_DETAILS: usize = 20;
const MAX_EXAMPLES: usize = 10;
const MAX_TEXT: usize = 200;

/// A scoring program's last line of stdout: a number, or a JSON object
/// `{"value": number, "details": [{"name", "count", "examples"}]}`.
fn parse_program_result(last: &str) -> Result<(f64, Vec<ScoreDetail>), String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Result {
        value: f64,
        #[serde(default)]
        details: Vec<ScoreDetail>,
    }
    let (value, mut details) = if last.starts_with('{') {
        let parsed: Result = serde_json::from_str(last).map_err(|e| {
            format!("its last line is not a number nor a valid result object ({e})")
        })?;
        (parsed.value, parsed.details)
    } else {
        let value = last
            .parse::<f64>()
            .map_err(|_| format!("it printed no number as its last line (it printed {last:?})"))?;
        (value, Vec::new())
    };
    if !value.is_finite() {
        return Err(format!("its value {last:?} is not a finite number"));
    }
    let shorten = |text: &mut String| {
        if let Some((at, _)) = text.char_indices().nth(MAX_TEXT) {
            text.truncate(at);
            text.push('…');
        }
    };
    details.truncate(MAX_DETAILS);
    for detail in &mut details {
        shorten(&mut detail.name);
        detail.examples.truncate(MAX_EXAMPLES);
        detail.examples.iter_mut().for_each(shorten);
    }
    Ok((value, details))
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

/// A stored output file: its path relative to the submission's top (`out/predictions.csv`,
/// `plots/roc.png`) and the blob holding it.
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
    /// Every claim found in the report's text, checked, with its quote and location.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_claims: Vec<ClaimCheck>,
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
        site: runner::site::site_for(blobs, assignment_row)?,
        workdir: None,
        seed: options.seed,
        clock: options.clock,
        limits,
    };
    let program = manifest
        .program()
        .context("the stored manifest names no entry")?;
    let record = runner::run(sandbox, kind, &folder, &folder.join(program), &invocation)?;

    let mut outputs = Vec::new();
    for file in record
        .outputs
        .iter()
        .filter(|f| f.kind == "file" && f.sha256.is_some())
    {
        let sha256 = blobs.put_file(&out.join(&file.path))?;
        outputs.push(KeptOutput {
            path: file.path.clone(),
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
    let report = crate::report::read(blobs, &submission_files, &manifest.report, false);
    let found = claims_text::extract(&report.pieces, assignment.scoring.metric);
    let checked = claims::check_submission(
        &manifest.claims,
        &found,
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
        claims: checked.decisive,
        report_claims: checked.report,
        outputs,
        provenance,
        comparison: None,
    })
}

/// Runs the assignment's own scoring program in the sandbox. Its working folder holds the
/// program (`scoring/`), the hidden files (`hidden/`) and the candidate's outputs
/// (`outputs/`, at their paths relative to the submission; those under `out/` also without
/// that prefix), all read-only; the last line it prints is the value.
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
        details: Vec::new(),
    };
    let outcome = (|| -> anyhow::Result<Result<(f64, Vec<ScoreDetail>), String>> {
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
        let found = crate::sandbox::outputs::collect(
            out,
            u64::MAX,
            10_000,
            &crate::sandbox::Baseline::default(),
        );
        let files: Vec<&str> = found
            .iter()
            .filter(|e| e.kind == "file")
            .map(|e| e.path.as_str())
            .collect();
        for path in &files {
            // An output under `out/` is also at its path without `out/` (where no other
            // output is), as scoring programs written for the `out/` folder expect.
            let short = path.strip_prefix("out/").filter(|s| !files.contains(s));
            for rel in std::iter::once(*path).chain(short) {
                let target = outputs.join(rel);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut source = crate::sandbox::outputs::open_regular(&out.join(path))
                    .ok_or_else(|| anyhow::anyhow!("cannot read the output {path}"))?;
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
            // The scoring program reads `hidden/` and `outputs/` from the folder's top.
            workdir: Some(String::new()),
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
        Ok(parse_program_result(&last).map_err(|e| format!("the scoring program {program}: {e}")))
    })();
    match outcome {
        Ok(Ok((value, details))) => ScoreOutcome {
            metric,
            value: Some(value),
            error: None,
            details,
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
        details: Vec::new(),
    };
    let relative = &scoring.output;
    if relative.starts_with('/')
        || relative
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return failed(format!(
            "the scored output {relative} is not a plain path relative to the submission"
        ));
    }
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
            details: Vec::new(),
        },
        Err(e) => failed(format!("{}: {e}", scoring.output)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_result_is_a_number_or_an_object_with_details() {
        assert_eq!(parse_program_result("0.75"), Ok((0.75, Vec::new())));
        let (value, details) = parse_program_result(
            r#"{"value": 0.5, "details": [{"name": "rows lost", "count": 3, "examples": ["L1", "L2"]}]}"#,
        )
        .unwrap();
        assert_eq!(value, 0.5);
        assert_eq!(
            details,
            vec![ScoreDetail {
                name: "rows lost".into(),
                count: 3,
                examples: vec!["L1".into(), "L2".into()],
            }]
        );
    }

    #[test]
    fn a_program_result_that_is_malformed_or_not_finite_is_refused_with_the_reason() {
        let refused = |line: &str| parse_program_result(line).unwrap_err();
        assert!(refused("done").contains("no number"), "{}", refused("done"));
        assert!(refused("NaN").contains("not a finite number"));
        assert!(refused(r#"{"value": 1, "extra": 2}"#).contains("unknown field `extra`"));
        assert!(refused(r#"{"details": []}"#).contains("missing field `value`"));
        assert!(
            refused(r#"{"value": 1, "details": [{"name": "x", "count": -1}]}"#)
                .contains("invalid value")
        );
    }

    #[test]
    fn a_program_result_with_huge_details_is_cut_to_the_bounds() {
        let detail = serde_json::json!({
            "name": "n".repeat(5000),
            "count": 1,
            "examples": vec!["é".repeat(1000); 50],
        });
        let line = serde_json::json!({"value": 1.0, "details": vec![detail; 100]}).to_string();
        let (_, details) = parse_program_result(&line).unwrap();
        assert_eq!(details.len(), MAX_DETAILS);
        assert_eq!(details[0].name.chars().count(), MAX_TEXT + 1);
        assert_eq!(details[0].examples.len(), MAX_EXAMPLES);
        assert!(
            details[0]
                .examples
                .iter()
                .all(|e| e.chars().count() == MAX_TEXT + 1)
        );
    }
}
