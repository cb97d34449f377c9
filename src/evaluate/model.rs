//! Models handed in as ONNX: the preprocessing script in the sandbox, inference in a limited
//! child ([`super::onnx`]), the output turned into predictions, scored, and compared with the
//! predictions the candidate handed in.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::onnx::{self, Failure, FailureReason};
use super::scoring::ScoreOutcome;
use crate::assignment::{Assignment, ModelSpec};
use crate::base::FileRef;
use crate::sandbox::{RunRecord, Verdict};
use crate::score::Metric;
use crate::store::Blobs;

/// Two numeric predictions closer than this agree.
pub const AGREEMENT_TOLERANCE: f64 = 1e-4;

/// What running the handed-in model found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCheck {
    /// The model file, relative to the submission.
    pub file: String,
    pub model_sha256: String,
    /// The ONNX runtime and its version (`tract-onnx 0.23.9`).
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
    pub verdict: crate::sandbox::Verdict,
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

/// The model's predictions beside the handed-in ones, row by row (joined on the id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// The handed-in predictions file compared.
    pub file: String,
    /// Ids present in both.
    pub compared: usize,
    /// Of those, predictions that agree: numbers within `tolerance`, labels equal.
    pub agreeing: usize,
    /// The largest difference between two numeric predictions; `None` for labels.
    pub max_difference: Option<f64>,
    /// Ids the model predicted that the handed-in file lacks.
    pub missing: usize,
    pub tolerance: f64,
}

impl Agreement {
    /// One readable line: `agrees on 190 of 200 rows (largest difference 0.83)`.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "the model's predictions agree with {} on {} of {} rows",
            self.file, self.agreeing, self.compared
        );
        if let Some(max) = self.max_difference {
            text.push_str(&format!(" (largest difference {max:.6})"));
        }
        if self.missing > 0 {
            text.push_str(&format!(
                "; {} ids are missing from {}",
                self.missing, self.file
            ));
        }
        text
    }
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
        .find(|p| crate::sandbox::outputs::open_regular(p).is_some())
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
    let (info, csv) = match predict(spec, assignment, &places) {
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

/// Runs the model on its inputs and turns its output into a predictions CSV text (the
/// assignment's id and prediction columns). The preprocessing run, if any, has already
/// happened: its outputs are in `places.preprocessed`.
pub fn predict(
    spec: &ModelSpec,
    assignment: &Assignment,
    places: &Places,
) -> Result<(OutputInfo, String), Failure> {
    let mismatch = |message: String| Failure::new(FailureReason::InputMismatch, message);
    // The model is what the candidate handed in, never a file the preprocessing wrote.
    let model = Some(places.submission.join(&spec.file))
        .filter(|p| plain(&spec.file) && crate::sandbox::outputs::open_regular(p).is_some())
        .ok_or_else(|| mismatch(format!("the submission has no model file {}", spec.file)))?;
    let mut inputs = Vec::new();
    for path in &spec.inputs {
        inputs.push(places.find(path).ok_or_else(|| {
            mismatch(format!(
                "the input tensor {path} was neither written by the preprocessing nor handed in"
            ))
        })?);
    }
    let ids_path = places.find(&spec.ids).ok_or_else(|| {
        mismatch(format!(
            "the ids file {} was neither written by the preprocessing nor handed in",
            spec.ids
        ))
    })?;
    let id_column = &assignment.scoring.id_column;
    let ids = read_ids(&ids_path, id_column).map_err(|e| mismatch(format!("{}: {e}", spec.ids)))?;
    let output = onnx::infer(&onnx::Request {
        model,
        inputs,
        output: spec.output.clone(),
    })?;
    let info = OutputInfo {
        name: output.name.clone(),
        datum_type: output.datum_type.clone(),
        shape: output.shape.clone(),
    };
    let values = postprocess(&output, spec, assignment.scoring.metric, ids.len())
        .map_err(|e| Failure::new(FailureReason::InputMismatch, e))?;
    let mut csv = format!("{id_column},{}\n", assignment.scoring.prediction_column);
    for (id, value) in ids.iter().zip(values) {
        csv.push_str(&format!("{},{value}\n", quote(id)));
    }
    Ok((info, csv))
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn read_ids(path: &Path, column: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it as text: {e}"))?;
    let csv = crate::score::parse_csv(&text).map_err(|e| e.to_string())?;
    let at = csv
        .header
        .iter()
        .position(|h| h.trim() == column)
        .ok_or_else(|| format!("it has no column {column}"))?;
    csv.rows
        .iter()
        .map(|row| {
            row.fields
                .get(at)
                .map(|f| f.trim().to_string())
                .ok_or_else(|| format!("line {} has no {column}", row.line))
        })
        .collect()
}

/// One prediction per row from the model's output: the value itself for one column; for
/// several (after a softmax when asked), the positive class's column for a score metric
/// and the label of the largest for a label metric.
pub fn postprocess(
    output: &onnx::Output,
    spec: &ModelSpec,
    metric: Metric,
    rows: usize,
) -> Result<Vec<String>, String> {
    let name = &output.name;
    let (n, columns) = match output.shape.as_slice() {
        [n] => (*n, 1),
        [n, c] => (*n, *c),
        shape => {
            return Err(format!(
                "the output {name} has shape {shape:?}; one row per id, with one column or one per class, is needed"
            ));
        }
    };
    if n != rows {
        return Err(format!(
            "the output {name} has {n} rows, and the ids file lists {rows} ids"
        ));
    }
    if columns == 0 {
        return Err(format!("the output {name} has no columns"));
    }
    if !spec.classes.is_empty() && spec.classes.len() != columns {
        return Err(format!(
            "[model] classes names {} classes, and the output {name} has {columns} columns",
            spec.classes.len()
        ));
    }
    let label_of = |i: usize| match spec.classes.get(i) {
        Some(label) => label.clone(),
        None => i.to_string(),
    };
    let mut out = Vec::with_capacity(n);
    for row in output.values.chunks(columns) {
        let row = if spec.softmax && columns > 1 {
            softmax(row)
        } else {
            row.to_vec()
        };
        if let Some(bad) = row.iter().find(|v| !v.is_finite()) {
            return Err(format!(
                "the output {name} holds {bad}, not a finite number"
            ));
        }
        let value = match (metric, columns) {
            (_, 1) => number(row[0]),
            (Metric::Accuracy | Metric::MacroF1, _) => {
                let mut best = 0;
                for (i, v) in row.iter().enumerate() {
                    if *v > row[best] {
                        best = i;
                    }
                }
                label_of(best)
            }
            (Metric::Rmse | Metric::Mae, _) => {
                return Err(format!(
                    "the output {name} has {columns} columns; {} needs one value per row",
                    metric.name()
                ));
            }
            _ => {
                let positive = match spec.classes.iter().position(|c| c == "1") {
                    Some(at) => at,
                    None if columns == 2 && spec.classes.is_empty() => 1,
                    None => {
                        return Err(format!(
                            "the output {name} has {columns} columns and none is class \"1\": name them with [model] classes"
                        ));
                    }
                };
                number(row[positive])
            }
        };
        out.push(value);
    }
    Ok(out)
}

fn softmax(row: &[f64]) -> Vec<f64> {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = row.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// A number as written to the predictions: the shortest text that reads back the same.
fn number(value: f64) -> String {
    format!("{value}")
}

/// Compares the model's predictions with the handed-in ones, joined on the id column.
pub fn agreement(
    model_csv: &str,
    handed_in: &str,
    file: &str,
    id_column: &str,
    prediction_column: &str,
) -> Result<Agreement, String> {
    let read = |text: &str, what: &str| -> Result<Vec<(String, String)>, String> {
        let csv = crate::score::parse_csv(text).map_err(|e| format!("{what}: {e}"))?;
        let column = |name: &str| {
            csv.header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| format!("{what} has no column {name}"))
        };
        let (id, value) = (column(id_column)?, column(prediction_column)?);
        Ok(csv
            .rows
            .iter()
            .filter_map(|row| {
                Some((
                    row.fields.get(id)?.trim().to_string(),
                    row.fields.get(value)?.trim().to_string(),
                ))
            })
            .collect())
    };
    let model = read(model_csv, "the model's predictions")?;
    let theirs: std::collections::HashMap<String, String> =
        read(handed_in, file)?.into_iter().collect();
    let (mut compared, mut agreeing, mut missing) = (0, 0, 0);
    let mut max_difference: Option<f64> = None;
    let mut numeric = true;
    for (id, ours) in &model {
        let Some(other) = theirs.get(id) else {
            missing += 1;
            continue;
        };
        compared += 1;
        match (ours.parse::<f64>(), other.parse::<f64>()) {
            (Ok(a), Ok(b)) if numeric => {
                let d = (a - b).abs();
                let d = if d.is_nan() { f64::INFINITY } else { d };
                max_difference = Some(max_difference.map_or(d, |m| m.max(d)));
                if d <= AGREEMENT_TOLERANCE {
                    agreeing += 1;
                }
            }
            _ => {
                numeric = false;
                if ours == other {
                    agreeing += 1;
                }
            }
        }
    }
    Ok(Agreement {
        file: file.to_string(),
        compared,
        agreeing,
        max_difference: if numeric { max_difference } else { None },
        missing,
        tolerance: AGREEMENT_TOLERANCE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(softmax: bool, classes: &[&str]) -> ModelSpec {
        ModelSpec {
            file: "model.onnx".into(),
            preprocess: None,
            inputs: vec!["x.npy".into()],
            ids: "ids.csv".into(),
            output: None,
            softmax,
            classes: classes.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn output(shape: Vec<usize>, values: Vec<f64>) -> onnx::Output {
        onnx::Output {
            name: "y".into(),
            datum_type: "F32".into(),
            shape,
            values,
        }
    }

    #[test]
    fn the_positive_column_or_the_argmax_label_is_the_prediction() {
        let two = output(vec![2, 2], vec![0.25, 0.75, 0.9, 0.1]);
        assert_eq!(
            postprocess(&two, &spec(false, &[]), Metric::RocAuc, 2).unwrap(),
            ["0.75", "0.1"]
        );
        assert_eq!(
            postprocess(&two, &spec(false, &["no", "yes"]), Metric::Accuracy, 2).unwrap(),
            ["yes", "no"]
        );
        let logits = output(vec![1, 2], vec![0.0, 0.0]);
        assert_eq!(
            postprocess(&logits, &spec(true, &[]), Metric::LogLoss, 1).unwrap(),
            ["0.5"]
        );
        let flat = output(vec![2], vec![1.5, 2.0]);
        assert_eq!(
            postprocess(&flat, &spec(false, &[]), Metric::Rmse, 2).unwrap(),
            ["1.5", "2"]
        );
    }

    #[test]
    fn outputs_that_do_not_fit_are_refused_with_the_reason() {
        let two = output(vec![2, 2], vec![0.25, 0.75, 0.9, 0.1]);
        let error = postprocess(&two, &spec(false, &[]), Metric::RocAuc, 3).unwrap_err();
        assert!(
            error.contains("2 rows, and the ids file lists 3"),
            "{error}"
        );
        let error =
            postprocess(&two, &spec(false, &["a", "b", "c"]), Metric::RocAuc, 2).unwrap_err();
        assert!(error.contains("names 3 classes"), "{error}");
        let error = postprocess(&two, &spec(false, &[]), Metric::Mae, 2).unwrap_err();
        assert!(error.contains("needs one value per row"), "{error}");
        let nan = output(vec![1], vec![f64::NAN]);
        let error = postprocess(&nan, &spec(false, &[]), Metric::Mae, 1).unwrap_err();
        assert!(error.contains("not a finite number"), "{error}");
    }

    #[test]
    fn agreement_counts_rows_within_the_tolerance_and_the_largest_difference() {
        let model = "id,p\na,0.5\nb,0.25\nc,0.1\n";
        let handed = "id,p\na,0.50001\nb,0.75\n";
        let a = agreement(model, handed, "out/p.csv", "id", "p").unwrap();
        assert_eq!((a.compared, a.agreeing, a.missing), (2, 1, 1));
        assert_eq!(a.max_difference, Some(0.5));
        assert!(a.summary().contains("on 1 of 2 rows"), "{}", a.summary());
    }
}
