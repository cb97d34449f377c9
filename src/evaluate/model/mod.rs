//! Models handed in as ONNX: the preprocessing script in the sandbox, inference in a limited
//! child ([`super::onnx`]), the output turned into predictions, scored, and compared with the
//! predictions the candidate handed in.
//!
//! Parts: [`predictions`] turns the model's output into a predictions file, [`agreement`]
//! compares it with the one handed in.

mod agreement;
mod predictions;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::onnx::{self, Failure, FailureReason};
use super::scoring::ScoreOutcome;
use crate::assignment::{Assignment, ModelSpec};
use crate::base::FileRef;
use crate::record::{RunRecord, Verdict};
use crate::store::Blobs;

pub use agreement::{AGREEMENT_TOLERANCE, Agreement, agreement};
pub use predictions::{postprocess, predict};

/// What running the handed-in model found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCheck {
    /// The model file, relative to the submission.
    pub file: String,
    pub model_sha256: String,
    /// The ONNX runtime that ran the model (or failed last) and its version: `tract-onnx
    /// 0.23.9`, or `onnxruntime 1.32.0` in the gVisor tier when tract could not run it.
    pub runtime: String,
    /// The preprocessing run, when `[model] preprocess` names a script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<PreprocessRun>,
    /// The output used: its name, element type and shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputInfo>,
    /// The model's predictions as scored (a CSV of the assignment's id and prediction columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions: Option<FileRef>,
    /// The score of the model's predictions against the hidden truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<ScoreOutcome>,
    /// How far the model's predictions are from the handed-in ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Agreement>,
    /// Why the model gave no predictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

impl ModelCheck {
    /// What the check found, one readable line each: the model and its score, the
    /// agreement with the handed-in predictions, or why it did not run.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let score = match self.score.as_ref().map(|s| &s.result) {
            Some(super::Scored::Value(v)) => format!(
                ": {} {v:.4}",
                self.score.as_ref().map_or("", |s| s.metric.as_str())
            ),
            Some(super::Scored::Failed(e)) => format!(": not scored ({e})"),
            None => String::new(),
        };
        lines.push(format!("model {} ({}){score}", self.file, self.runtime));
        if let Some(failure) = &self.failure {
            lines.push(format!("model not run: {failure}"));
        }
        if let Some(agreement) = &self.agreement {
            lines.push(agreement.summary());
        }
        lines
    }
}

/// The preprocessing script's run, in short (its full record is not kept).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreprocessRun {
    pub script: String,
    pub verdict: crate::record::Verdict,
    pub message: String,
    /// Its diagnostics, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputInfo {
    pub name: String,
    pub datum_type: String,
    pub shape: Vec<usize>,
}

/// Where a model's files come from: the preprocessing outputs first, then the submission,
/// then the public data (`data/...`).
pub struct Places<'a> {
    pub preprocessed: &'a Path,
    pub submission: &'a Path,
    pub data: &'a Path,
}

impl Places<'_> {
    fn find(&self, path: &str) -> Option<PathBuf> {
        if !plain(path) {
            return None;
        }
        let in_data = path.strip_prefix("data/").map(|rest| self.data.join(rest));
        [
            Some(self.preprocessed.join(path)),
            Some(self.submission.join(path)),
            in_data,
        ]
        .into_iter()
        .flatten()
        .find(|p| crate::base::open_regular(p).is_some())
    }
}

fn plain(path: &str) -> bool {
    !path.starts_with('/')
        && !path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
}

/// Where the model's predictions are kept among the evaluation's files.
pub const PREDICTIONS: &str = "model/predictions.csv";

/// Runs the handed-in model of `spec`: `preprocess` runs the preprocessing script (giving
/// its record and the folder of its outputs), then the model runs in the child, and its
/// predictions are scored by `score_from` (a folder laid out like a run's outputs) and
/// compared with the handed-in output file. `places` are the submission and the public data.
pub fn check(
    spec: &ModelSpec,
    assignment: &Assignment,
    blobs: &Blobs,
    files: &[FileRef],
    places: (&Path, &Path),
    preprocess: impl FnOnce(&str) -> anyhow::Result<(RunRecord, PathBuf)>,
    score_from: &dyn Fn(&Path) -> ScoreOutcome,
) -> ModelCheck {
    let (submission, data) = places;
    let mut check = ModelCheck {
        file: spec.file.clone(),
        model_sha256: files
            .iter()
            .find(|f| f.path == spec.file)
            .map(|f| f.sha256.clone())
            .unwrap_or_default(),
        runtime: onnx::RUNTIME.to_string(),
        preprocess: None,
        output: None,
        predictions: None,
        score: None,
        agreement: None,
        failure: None,
    };
    let empty = tempfile::tempdir();
    let mut preprocessed = empty
        .as_ref()
        .map(|d| d.path().to_path_buf())
        .unwrap_or_default();
    if let Some(script) = &spec.preprocess {
        match preprocess(script) {
            Ok((record, folder)) => {
                let ok = record.verdict == Verdict::Ok;
                let run = PreprocessRun {
                    script: script.clone(),
                    verdict: record.verdict,
                    message: record.message.clone(),
                    diagnostics: record.diagnostics.iter().map(|d| d.line()).collect(),
                };
                if !ok {
                    let tail: String = last_lines(&record.stderr.text, 3);
                    check.failure = Some(Failure::new(
                        FailureReason::PreprocessFailed,
                        format!(
                            "the preprocessing script {script} ended with {}: {}{tail}",
                            record.verdict, record.message
                        ),
                    ));
                }
                check.preprocess = Some(run);
                if !ok {
                    return check;
                }
                preprocessed = folder;
            }
            Err(e) => {
                check.failure = Some(Failure::new(
                    FailureReason::PreprocessFailed,
                    format!("the preprocessing script {script} could not run: {e:#}"),
                ));
                return check;
            }
        }
    }
    let places = Places {
        preprocessed: &preprocessed,
        submission,
        data,
    };
    let (info, csv) = match predict(spec, assignment, &places, &mut check.runtime) {
        Ok(found) => found,
        Err(failure) => {
            check.failure = Some(failure);
            return check;
        }
    };
    check.output = Some(info);
    match blobs.put(csv.as_bytes()) {
        Ok(sha256) => {
            check.predictions = Some(FileRef {
                path: PREDICTIONS.to_string(),
                bytes: csv.len() as u64,
                sha256,
            })
        }
        Err(e) => {
            check.failure = Some(Failure::new(
                FailureReason::Crashed,
                format!("cannot keep the model's predictions: {e:#}"),
            ));
            return check;
        }
    }
    // Scored exactly as a run's output at the assignment's path.
    let output = &assignment.scoring.output;
    check.score = Some(match tempfile::tempdir() {
        Ok(staged) => {
            let target = staged.path().join(output);
            let written = target
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&target, &csv));
            match written {
                Ok(()) => score_from(staged.path()),
                Err(e) => ScoreOutcome::failed(
                    assignment.scoring.metric.name().to_string(),
                    format!("cannot stage the model's predictions: {e}"),
                ),
            }
        }
        Err(e) => ScoreOutcome::failed(
            assignment.scoring.metric.name().to_string(),
            format!("cannot stage the model's predictions: {e}"),
        ),
    });
    if let Some(handed) = files.iter().find(|f| &f.path == output)
        && let Ok(bytes) = blobs.get(&handed.sha256)
    {
        let text = String::from_utf8_lossy(&bytes);
        check.agreement = agreement(
            &csv,
            &text,
            output,
            &assignment.scoring.id_column,
            &assignment.scoring.prediction_column,
        )
        .ok();
    }
    check
}

/// The last `n` non-empty lines of `text`, as ` (...)` to append to a message.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(n)..];
    if tail.is_empty() {
        String::new()
    } else {
        format!(" ({})", tail.join(" / "))
    }
}
