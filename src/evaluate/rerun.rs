//! Reruns: run an evaluated submission version again with the stored seed and clock,
//! compare the fresh evaluation with the stored one, and describe every difference
//! readably: text files as unified diffs, CSV and JSON numerically within a tolerance.
//! Reruns are queued like evaluations (a job of kind `rerun`; see `queue`); [`rerun_now`]
//! runs one in this process.

use serde::{Deserialize, Serialize};

use super::{Evaluation, Options};
use crate::base::FileRef;
use crate::base::diff::{NUMERIC_TOLERANCE, text_diff};
use crate::base::difference::{DifferenceKind, classify_text};
use crate::sandbox::Sandbox;
use crate::store::{AssignmentRow, Blobs, RunPurpose, Store, SubmissionRow};

/// A rerun of a version that has no evaluation to compare with.
#[derive(Debug, thiserror::Error)]
#[error("{0} has not been evaluated yet: run `takehome evaluate {0}` first")]
pub struct NotEvaluated(pub String);

/// The stored evaluation a rerun of `submission_id` is compared with: its run id and the
/// evaluation. [`NotEvaluated`] if there is none.
pub async fn original(store: &Store, submission_id: &str) -> anyhow::Result<(String, Evaluation)> {
    let Some(run) = store
        .latest_run(submission_id, RunPurpose::Evaluate)
        .await?
    else {
        return Err(NotEvaluated(submission_id.to_string()).into());
    };
    let evaluation = run.decode_evaluation()?;
    Ok((run.id, evaluation))
}

/// Runs `submission` again with the seed and clock of `before` (stored as run
/// `original_run`); the fresh evaluation, carrying its comparison with `before`. Blocks.
pub fn rerun(
    sandbox: &Sandbox,
    blobs: &Blobs,
    assignment: &AssignmentRow,
    submission: &SubmissionRow,
    original_run: &str,
    before: &Evaluation,
) -> anyhow::Result<Evaluation> {
    let options = Options {
        seed: before.provenance.seed,
        clock: before.record.clock,
    };
    let mut after = super::evaluate(sandbox, blobs, assignment, submission, options)?;
    after.comparison = Some(compare(blobs, original_run, before, &after));
    Ok(after)
}

/// Reruns one evaluated submission version in this process (not through the queue),
/// stores the rerun, and returns how it compares with the stored evaluation.
pub async fn rerun_now(
    store: &Store,
    blobs: &Blobs,
    sandbox: &Sandbox,
    submission: &SubmissionRow,
) -> anyhow::Result<Comparison> {
    let (original_run, before) = original(store, &submission.id).await?;
    let assignment = store.assignment_of(&submission.pseudonym).await?;
    let (sandbox, blobs, sub) = (sandbox.clone(), blobs.clone(), submission.clone());
    let after = tokio::task::spawn_blocking(move || {
        rerun(&sandbox, &blobs, &assignment, &sub, &original_run, &before)
    })
    .await??;
    store
        .add_run(
            &submission.id,
            RunPurpose::Rerun,
            &serde_json::to_string(&after)?,
            crate::base::now_ms(),
        )
        .await?;
    after
        .comparison
        .ok_or_else(|| anyhow::anyhow!("the rerun of {} lost its comparison", submission.id))
}

/// One thing that differs between the stored run and the rerun.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// What differs: `verdict`, `exit_code`, `fuel_used`, `stdout`, `stderr`, or `out/...`.
    pub what: String,
    /// A readable account: both values, or a diff.
    pub detail: String,
    /// For text (stdout, stderr, text files): `warnings`, `display`, `numbers` or `content`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<DifferenceKind>,
    /// For text: the kind's one-line account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl Difference {
    fn new(what: impl Into<String>, detail: impl Into<String>) -> Difference {
        Difference {
            what: what.into(),
            detail: detail.into(),
            kind: None,
            summary: None,
        }
    }

    /// With the kind of difference between the two texts, when they are text.
    fn of_text(mut self, texts: Option<(String, String)>) -> Difference {
        if let Some(d) = texts.and_then(|(old, new)| classify_text(&old, &new)) {
            self.kind = Some(d.kind);
            self.summary = Some(d.summary);
        }
        self
    }
}

/// The outcome of comparing a rerun with the stored run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub original_run: String,
    pub reproducible: bool,
    pub differences: Vec<Difference>,
}

/// Compares everything a deterministic run must reproduce bit for bit.
pub fn compare(
    blobs: &Blobs,
    original_run: &str,
    before: &Evaluation,
    after: &Evaluation,
) -> Comparison {
    let mut differences = Vec::new();
    let (a, b) = (&before.record, &after.record);
    let mut field = |what: &str, x: String, y: String| {
        if x != y {
            differences.push(Difference::new(what.to_string(), format!("{x} → {y}")));
        }
    };
    field("verdict", a.verdict.to_string(), b.verdict.to_string());
    field(
        "exit_code",
        format!("{:?}", a.exit_code),
        format!("{:?}", b.exit_code),
    );
    field(
        "fuel_used",
        a.fuel_used.to_string(),
        b.fuel_used.to_string(),
    );
    for (name, x, y) in [
        ("stdout", &a.stdout, &b.stdout),
        ("stderr", &a.stderr, &b.stderr),
    ] {
        if x.sha256 != y.sha256 {
            differences.push(
                Difference::new(name, text_diff(&x.text, &y.text))
                    .of_text(Some((x.text.clone(), y.text.clone()))),
            );
        }
    }
    for (x, y) in a.notebooks().into_iter().zip(b.notebooks()) {
        if let Some(detail) = crate::runner::notebook::first_diverging_cell(x, y) {
            differences.push(Difference::new(format!("notebook {}", x.path), detail));
        }
    }
    // The methodology findings are part of what a run did: the same program sees the same rows.
    let (x, y) = (
        crate::record::methodology::lines(a.methodology.as_ref()),
        crate::record::methodology::lines(b.methodology.as_ref()),
    );
    if x != y {
        differences.push(Difference::new(
            "methodology",
            text_diff(&x.join("\n"), &y.join("\n")),
        ));
    }
    let paths: std::collections::BTreeSet<&str> = before
        .outputs
        .iter()
        .chain(&after.outputs)
        .map(|o| o.path.as_str())
        .collect();
    for path in paths {
        let find = |list: &'_ [FileRef]| list.iter().find(|o| o.path == path).cloned();
        match (find(&before.outputs), find(&after.outputs)) {
            (Some(x), Some(y)) if x.sha256 == y.sha256 => {}
            (Some(x), Some(y)) => differences.push(
                Difference::new(path, file_diff(blobs, path, &x, &y))
                    .of_text(text_pair(blobs, path, &x, &y)),
            ),
            (Some(_), None) => {
                differences.push(Difference::new(path.to_string(), "missing from the rerun"))
            }
            (None, _) => differences.push(Difference::new(path.to_string(), "new in the rerun")),
        }
    }
    // A handed-in model's predictions must come out bit for bit the same too.
    let model = |e: &Evaluation| {
        e.model
            .as_ref()
            .map(|m| (m.predictions.clone(), m.failure.as_ref().map(|f| f.reason)))
    };
    match (model(before), model(after)) {
        (Some((Some(x), _)), Some((Some(y), _))) if x.sha256 != y.sha256 => differences.push(
            Difference::new("model predictions", file_diff(blobs, ".csv", &x, &y)),
        ),
        (x, y) if x.as_ref().map(|m| m.1) != y.as_ref().map(|m| m.1) => {
            differences.push(Difference::new(
                "model",
                format!(
                    "{} → {}",
                    model_state(before.model.as_ref()),
                    model_state(after.model.as_ref())
                ),
            ))
        }
        _ => {}
    }
    if before.score_basis != after.score_basis {
        differences.push(Difference::new(
            "score_basis",
            format!("{} → {}", before.score_basis, after.score_basis),
        ));
    }
    Comparison {
        original_run: original_run.to_string(),
        reproducible: differences.is_empty(),
        differences,
    }
}

/// A model check in a few words, for a difference between two runs.
fn model_state(model: Option<&super::model::ModelCheck>) -> String {
    match model {
        None => "no model".into(),
        Some(m) => match &m.failure {
            Some(f) => format!("not run ({})", f.reason),
            None => "ran".into(),
        },
    }
}

/// Both versions of a text output (not a notebook, whose cells are compared one by one).
fn text_pair(blobs: &Blobs, path: &str, x: &FileRef, y: &FileRef) -> Option<(String, String)> {
    if path.ends_with(".ipynb") {
        return None;
    }
    let old = String::from_utf8(blobs.get(&x.sha256).ok()?).ok()?;
    let new = String::from_utf8(blobs.get(&y.sha256).ok()?).ok()?;
    Some((old, new))
}

fn file_diff(blobs: &Blobs, path: &str, x: &FileRef, y: &FileRef) -> String {
    let (Ok(old), Ok(new)) = (blobs.get(&x.sha256), blobs.get(&y.sha256)) else {
        return format!("sha256 {} → {}", &x.sha256[..12], &y.sha256[..12]);
    };
    let (Ok(old), Ok(new)) = (String::from_utf8(old), String::from_utf8(new)) else {
        return format!(
            "binary file differs: {} bytes, sha256 {} → {} bytes, sha256 {}",
            x.bytes,
            &x.sha256[..12],
            y.bytes,
            &y.sha256[..12]
        );
    };
    content_diff(path, &old, &new)
}

/// How two versions of the text output `path` differ: cell by cell for notebooks, CSV and
/// JSON (numbers within the tolerance are equal), else as a unified diff.
pub fn content_diff(path: &str, old: &str, new: &str) -> String {
    if path.ends_with(".ipynb")
        && let (Ok(a), Ok(b)) = (
            crate::runner::notebook::parse(old.as_bytes()),
            crate::runner::notebook::parse(new.as_bytes()),
        )
    {
        return crate::runner::notebook::first_diverging_output(&a, &b).unwrap_or_else(|| {
            "the cells' outputs are equal (bytes differ only in formatting or numbers within the tolerance)".into()
        });
    }
    if path.ends_with(".csv")
        && let Some(account) = csv_diff(old, new)
    {
        return account;
    }
    if path.ends_with(".json")
        && let (Ok(a), Ok(b)) = (
            serde_json::from_str::<serde_json::Value>(old),
            serde_json::from_str(new),
        )
    {
        let mut found = Vec::new();
        json_diff("", &a, &b, &mut found);
        if found.is_empty() {
            return format!(
                "equal within {NUMERIC_TOLERANCE} (bytes differ only in number formatting)"
            );
        }
        return found.into_iter().take(10).collect::<Vec<_>>().join("\n");
    }
    text_diff(old, new)
}

/// Cell by cell: the cells that differ beyond the tolerance, with their row and column.
fn csv_diff(old: &str, new: &str) -> Option<String> {
    let (a, b) = (
        crate::score::parse_csv(old).ok()?,
        crate::score::parse_csv(new).ok()?,
    );
    if a.header != b.header || a.rows.len() != b.rows.len() {
        return None;
    }
    let mut cells = Vec::new();
    for (ra, rb) in a.rows.iter().zip(&b.rows) {
        for ((x, y), column) in ra.fields.iter().zip(&rb.fields).zip(&a.header) {
            if x == y {
                continue;
            }
            let close = matches!((x.trim().parse::<f64>(), y.trim().parse::<f64>()), (Ok(p), Ok(q)) if (p - q).abs() <= NUMERIC_TOLERANCE);
            if !close {
                cells.push(format!("line {}, {column}: {x} → {y}", ra.line));
            }
        }
    }
    Some(if cells.is_empty() {
        format!("equal within {NUMERIC_TOLERANCE} (bytes differ only in number formatting)")
    } else {
        let more = cells.len().saturating_sub(10);
        let mut shown: Vec<String> = cells.into_iter().take(10).collect();
        if more > 0 {
            shown.push(format!("... and {more} more cells"));
        }
        shown.join("\n")
    })
}

fn json_diff(at: &str, a: &serde_json::Value, b: &serde_json::Value, found: &mut Vec<String>) {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            if (x - y).abs() > NUMERIC_TOLERANCE {
                found.push(format!(
                    "{}: {x} → {y}",
                    if at.is_empty() { "$" } else { at }
                ));
            }
        }
        (Object(x), Object(y)) => {
            let keys: std::collections::BTreeSet<&std::string::String> =
                x.keys().chain(y.keys()).collect();
            for key in keys {
                let path = format!("{at}.{key}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => json_diff(&path, p, q, found),
                    _ => found.push(format!("{path}: present in only one run")),
                }
            }
        }
        (Array(x), Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{at}[{i}]"), p, q, found);
            }
        }
        _ if a != b => found.push(format!(
            "{}: {a} → {b}",
            if at.is_empty() { "$" } else { at }
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_compared_numerically() {
        assert_eq!(
            csv_diff("a,b\n1,0.5\n", "a,b\n1,0.50\n").unwrap(),
            format!("equal within {NUMERIC_TOLERANCE} (bytes differ only in number formatting)")
        );
        assert_eq!(
            csv_diff("a,b\n1,0.5\n", "a,b\n1,0.6\n").unwrap(),
            "line 2, b: 0.5 → 0.6"
        );
    }

    #[test]
    fn json_values_are_compared_by_path() {
        let mut found = Vec::new();
        json_diff(
            "",
            &serde_json::json!({"auc": 0.8, "n": [1, 2]}),
            &serde_json::json!({"auc": 0.9, "n": [1, 2]}),
            &mut found,
        );
        assert_eq!(found, [".auc: 0.8 → 0.9"]);
    }
}
