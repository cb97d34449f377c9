//! The model's output as predictions: inference in the limited child, then the output
//! (scores, probabilities, logits) turned into the assignment's predictions CSV.

use std::path::Path;

use super::super::onnx::{self, Failure, FailureReason};
use crate::assignment::{Assignment, ModelSpec};
use crate::score::Metric;

use super::{OutputInfo, Places, plain};

/// Runs the model on its inputs and turns its output into a predictions CSV text (the
/// assignment's id and prediction columns). The preprocessing run, if any, has already
/// happened: its outputs are in `places.preprocessed`. `runtime` becomes the runtime that
/// ran the model (or failed last).
pub fn predict(
    spec: &ModelSpec,
    assignment: &Assignment,
    places: &Places,
    runtime: &mut String,
) -> Result<(OutputInfo, String), Failure> {
    let mismatch = |message: String| Failure::new(FailureReason::InputMismatch, message);
    // The model is what the candidate handed in, never a file the preprocessing wrote.
    let model = Some(places.submission.join(&spec.file))
        .filter(|p| plain(&spec.file) && crate::base::open_regular(p).is_some())
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
    let inference = onnx::infer(&onnx::Request {
        model,
        inputs,
        output: spec.output.clone(),
    });
    *runtime = inference.runtime;
    let output = inference.result?;
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
    // `[model] classes` wins; else the labels the output carries (a ZipMap's keys).
    let classes = if spec.classes.is_empty() && output.classes.len() == columns {
        &output.classes
    } else {
        &spec.classes
    };
    let label_of = |i: usize| match classes.get(i) {
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
                let positive = match classes.iter().position(|c| c == "1") {
                    Some(at) => at,
                    None if columns == 2 && classes.is_empty() => 1,
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
