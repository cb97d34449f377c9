//! The `submission.toml` manifest of a candidate's submission folder.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::problem::{Doc, Problem};
use super::walk::{self, Table, relative_path};
use crate::runner::RunnerKind;
use crate::score::Metric;

/// The manifest file of every submission folder.
pub const SUBMISSION_TOML: &str = "submission.toml";

/// A submission's `submission.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionManifest {
    /// Runner name; must equal the assignment's `runner.name` (the caller compares them).
    pub runner: String,
    /// Entry script, relative to the submission folder.
    pub entry: String,
    /// Report file, relative to the submission folder.
    pub report: String,
    /// `[claims]`: metric name → the value the report states. Optional; every key is a
    /// metric name.
    #[serde(default)]
    pub claims: BTreeMap<String, f64>,
}

impl SubmissionManifest {
    /// The value claimed for `metric`, if any.
    pub fn claim(&self, metric: Metric) -> Option<f64> {
        self.claims.get(metric.name()).copied()
    }
}

/// Reads `submission.toml` in the submission folder `dir`.
pub fn load_manifest(dir: &Path) -> Result<SubmissionManifest, Vec<Problem>> {
    let path = dir.join(SUBMISSION_TOML);
    match fs::symlink_metadata(&path) {
        Err(_) => {
            return Err(vec![Problem::file(
                path,
                "missing: every submission has one",
            )]);
        }
        Ok(m) if !m.is_file() => return Err(vec![Problem::file(path, "is not a plain file")]),
        Ok(_) => {}
    }
    let text = fs::read_to_string(&path)
        .map_err(|e| vec![Problem::file(&path, format!("cannot be read: {e}"))])?;
    parse_manifest(&path, &text)
}

/// Parses the text of a `submission.toml` (`file` names it in problems), reporting every
/// problem: syntax, unknown keys, types, missing keys, unknown runner or metric names,
/// paths leaving the folder, non-finite claims.
pub fn parse_manifest(file: &Path, text: &str) -> Result<SubmissionManifest, Vec<Problem>> {
    let mut doc = Doc::new(file, text);
    let submission = walk::parse(&mut doc, text).and_then(|root| {
        let mut top = Table::root(&root);
        let runner = top.required(&mut doc, "runner").and_then(|v| {
            v.parse(&mut doc, |s| {
                match RunnerKind::all().into_iter().any(|k| k.name() == s) {
                    true => Ok(s.to_string()),
                    false => Err(format!(
                        "`{s}` is not a runner: use python, python-plain or wasi"
                    )),
                }
            })
        });
        let mut path = |doc: &mut Doc, key| {
            let v = top.required(doc, key)?;
            let text = v.text(doc)?;
            relative_path(doc, &v.key, &text).then_some(text.value)
        };
        let entry = path(&mut doc, "entry");
        let report = path(&mut doc, "report");
        let claims = match top.optional("claims") {
            None => Some(BTreeMap::new()),
            Some(v) => {
                let table = v.table(&mut doc);
                claims(&mut doc, table)
            }
        };
        top.finish(&mut doc);
        Some(SubmissionManifest {
            runner: runner?,
            entry: entry?,
            report: report?,
            claims: claims?,
        })
    });
    match submission {
        Some(s) if doc.problems.is_empty() => Ok(s),
        _ => {
            let mut problems = doc.problems;
            problems.sort();
            Err(problems)
        }
    }
}

fn claims(doc: &mut Doc, table: Option<Table>) -> Option<BTreeMap<String, f64>> {
    let mut table = table?;
    let mut claims = BTreeMap::new();
    let mut ok = true;
    for metric in Metric::ALL {
        if let Some(v) = table.optional(metric.name()) {
            match v.float(doc) {
                Some(x) => _ = claims.insert(metric.name().to_string(), x),
                None => ok = false,
            }
        }
    }
    // Unknown keys are the unknown metric names.
    let before = doc.problems.len();
    table.finish(doc);
    ok &= doc.problems.len() == before;
    ok.then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SubmissionManifest, Vec<String>> {
        parse_manifest(Path::new("s/submission.toml"), text)
            .map_err(|ps| ps.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn reads_the_documented_example() {
        let s = parse("runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n\n[claims]\nroc_auc = 0.861\n")
            .unwrap();
        assert_eq!(s.runner, "python");
        assert_eq!(s.claim(Metric::RocAuc), Some(0.861));
        assert_eq!(s.claim(Metric::Rmse), None);
        let bare = parse("runner = \"wasi\"\nentry = \"a.wasm\"\nreport = \"R.md\"\n").unwrap();
        assert!(bare.claims.is_empty());
    }

    #[test]
    fn reports_every_problem_with_its_place() {
        let text = "runner = \"pypy\"\nentry = \"../main.py\"\nextra = 1\n[claims]\nauc = 0.9\nrmse = \"low\"\n";
        let problems = parse(text).unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(
            problems[0].starts_with("s/submission.toml:1:1: missing required key `report`"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("s/submission.toml:1:10: `runner`: `pypy` is not a runner")
        );
        assert!(problems[2].starts_with("s/submission.toml:2:9: `entry` must be a relative path"));
        assert!(problems[3].starts_with("s/submission.toml:3:1: unknown key `extra`"));
        assert!(
            problems[4].starts_with("s/submission.toml:5:1: unknown key `claims.auc` in [claims]")
        );
        assert!(
            problems[5]
                .starts_with("s/submission.toml:6:8: `claims.rmse` must be a number, found string")
        );
    }

    #[test]
    fn syntax_errors_are_placed() {
        let problems = parse("runner = \"python\"\nentry = main.py\n").unwrap_err();
        assert!(
            problems[0].starts_with("s/submission.toml:2:9: TOML syntax:"),
            "{problems:#?}"
        );
    }
}
