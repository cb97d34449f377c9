//! The automatic score: run the assignment's scoring program, or score the output file
//! against the hidden truth with a built-in metric.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Options;
use crate::assignment::Assignment;
use crate::base::FileRef;
use crate::runner::{self, Invocation, RunnerKind};
use crate::sandbox::{ClockMode, Sandbox};
use crate::store::Blobs;

/// The automatic score, or why there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "StoredScore", try_from = "StoredScore")]
pub struct ScoreOutcome {
    pub metric: String,
    pub result: Scored,
    /// What a scoring program found besides the value (rows lost, rows duplicated, ...).
    pub details: Vec<ScoreDetail>,
}

/// A value, or the reason there is none (naming the problem).
#[derive(Clone, Debug, PartialEq)]
pub enum Scored {
    Value(f64),
    Failed(String),
}

impl ScoreOutcome {
    pub fn value(metric: String, value: f64, details: Vec<ScoreDetail>) -> Self {
        let result = Scored::Value(value);
        ScoreOutcome {
            metric,
            result,
            details,
        }
    }

    pub fn failed(metric: String, error: String) -> Self {
        let result = Scored::Failed(error);
        ScoreOutcome {
            metric,
            result,
            details: Vec::new(),
        }
    }

    pub fn score(&self) -> Option<f64> {
        match self.result {
            Scored::Value(value) => Some(value),
            Scored::Failed(_) => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match &self.result {
            Scored::Value(_) => None,
            Scored::Failed(error) => Some(error),
        }
    }
}

/// The stored (and template) shape: `value` or `error`, never both.
#[derive(Serialize, Deserialize)]
struct StoredScore {
    metric: String,
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    details: Vec<ScoreDetail>,
}

impl From<ScoreOutcome> for StoredScore {
    fn from(outcome: ScoreOutcome) -> Self {
        let (value, error) = match outcome.result {
            Scored::Value(value) => (Some(value), None),
            Scored::Failed(error) => (None, Some(error)),
        };
        StoredScore {
            metric: outcome.metric,
            value,
            error,
            details: outcome.details,
        }
    }
}

impl TryFrom<StoredScore> for ScoreOutcome {
    type Error = String;
    fn try_from(stored: StoredScore) -> Result<Self, String> {
        let result = match (stored.value, stored.error) {
            (Some(value), None) => Scored::Value(value),
            (None, Some(error)) => Scored::Failed(error),
            (None, None) => return Err("a score with neither a value nor an error".into()),
            (Some(_), Some(_)) => return Err("a score with both a value and an error".into()),
        };
        let metric = stored.metric;
        Ok(ScoreOutcome {
            metric,
            result,
            details: stored.details,
        })
    }
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
pub fn parse_program_result(last: &str) -> Result<(f64, Vec<ScoreDetail>), String> {
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

/// Runs the assignment's own scoring program in the sandbox. Its working folder holds the
/// program (`scoring/`), the hidden files (`hidden/`) and the candidate's outputs
/// (`outputs/`, at their paths relative to the submission; those under `out/` also without
/// that prefix), all read-only; the last line it prints is the value.
pub(super) fn run_scoring_program(
    sandbox: &Sandbox,
    blobs: &Blobs,
    assignment: &Assignment,
    files: &[FileRef],
    out: &Path,
    program: &str,
    options: Options,
) -> ScoreOutcome {
    let metric = assignment.scoring.metric.name().to_string();
    let failed = |error: String| ScoreOutcome::failed(metric.clone(), error);
    let outcome = (|| -> anyhow::Result<Result<(f64, Vec<ScoreDetail>), String>> {
        let work = tempfile::tempdir()?;
        let folder = work.path().join("scorer");
        let own: Vec<(String, String)> = files
            .iter()
            .filter(|f| f.path.starts_with("scoring/") || f.path.starts_with("hidden/"))
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .collect();
        super::materialize(blobs, &own, &folder)?;
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
            .filter(|e| e.kind == crate::sandbox::OutputKind::File)
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
                let mut source = crate::base::open_regular(&out.join(path))
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
            wheels: Vec::new(),
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
        Ok(Ok((value, details))) => ScoreOutcome::value(metric, value, details),
        Ok(Err(error)) => failed(error),
        Err(error) => failed(format!(
            "cannot run the scoring program {program}: {error:#}"
        )),
    }
}

pub(super) fn score_outputs(
    blobs: &Blobs,
    assignment: &Assignment,
    files: &[FileRef],
    out: &Path,
) -> ScoreOutcome {
    let scoring = &assignment.scoring;
    let metric = scoring.metric.name().to_string();
    let failed = |error: String| ScoreOutcome::failed(metric.clone(), error);
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
    let Some(file) = crate::base::open_regular(&out.join(relative)) else {
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
        Ok(value) => ScoreOutcome::value(metric, value, Vec::new()),
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

    #[test]
    fn a_score_round_trips_through_its_stored_shape() {
        for outcome in [
            ScoreOutcome::value("accuracy".into(), 0.5, Vec::new()),
            ScoreOutcome::failed(
                "accuracy".into(),
                "the run left no out/predictions.csv".into(),
            ),
        ] {
            let text = serde_json::to_string(&outcome).unwrap();
            assert_eq!(
                serde_json::from_str::<ScoreOutcome>(&text).unwrap(),
                outcome
            );
        }
        let both = r#"{"metric": "accuracy", "value": 1.0, "error": "x"}"#;
        assert!(serde_json::from_str::<ScoreOutcome>(both).is_err());
    }
}
