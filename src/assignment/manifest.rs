//! The `submission.toml` manifest of a candidate's submission folder.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::RunnerKind;
use super::problem::{Doc, Problem};
use super::walk::{self, Table, Value, relative_path};
use crate::score::Metric;

/// The manifest file of every submission folder.
pub const SUBMISSION_TOML: &str = "submission.toml";

/// A submission's `submission.toml`, written by the candidate or inferred by intake from the
/// files handed in (`crate::submission::infer`); stored the same way either way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionManifest {
    /// Must be the assignment's `runner.name` (the caller compares them).
    pub runner: RunnerKind,
    /// Entry point, relative to the submission folder: one script or module, or several
    /// scripts and notebooks run in the order given, in one working copy. Never empty. Written `entry = "main.py"` or
    /// `entry = ["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"]`.
    #[serde(with = "one_or_many")]
    pub entry: Vec<String>,
    /// Report files, relative to the submission folder: usually one (`REPORT.md`, a PDF);
    /// notebooks when their Markdown cells are the report. Empty only when intake inferred
    /// the manifest and found no report.
    #[serde(with = "one_or_many")]
    pub report: Vec<String>,
    /// `[claims]`: metric name → the value the report states. Optional; every key is a
    /// metric name.
    #[serde(default)]
    pub claims: BTreeMap<String, f64>,
    /// `[model]`: a trained model handed in as ONNX. Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSpec>,
}

impl SubmissionManifest {
    /// The value claimed for `metric`, if any.
    pub fn claim(&self, metric: Metric) -> Option<f64> {
        self.claims.get(metric.name()).copied()
    }

    /// The first entry (the only one, unless several run in order in one working copy).
    pub fn program(&self) -> Option<&str> {
        self.entry.first().map(String::as_str)
    }
}

/// `[model]`: a trained model handed in as ONNX, for work the sandbox cannot run (PyTorch,
/// XGBoost): takehome runs it on the public test inputs and scores its predictions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The model file (`model.onnx`), relative to the submission folder.
    pub file: String,
    /// A Python script run in the sandbox first (public data at `data/`, like the entry
    /// point) that writes the input tensors and the ids file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<String>,
    /// One `.npy` file per model input, in the model's input order: written by `preprocess`
    /// or handed in (`data/...` names the public data).
    pub inputs: Vec<String>,
    /// A CSV with the assignment's id column: row i of the inputs is that id.
    pub ids: String,
    /// The model output that holds the predictions, by name; the first when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Apply a softmax over the output's last axis (the model gives logits).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub softmax: bool,
    /// The class label of each output column, in order; the positive class is `"1"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

/// Serde adapter: a list of paths written as one string when it holds exactly one, so a
/// manifest stored before lists were allowed (`"entry": "main.py"`) still reads.
mod one_or_many {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub fn serialize<S: Serializer>(paths: &[String], s: S) -> Result<S::Ok, S::Error> {
        match paths {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        })
    }
}

/// Reads `submission.toml` in the submission folder `dir`: `None` when there is none (intake
/// then infers the manifest).
pub fn load_manifest(dir: &Path) -> Option<Result<SubmissionManifest, Vec<Problem>>> {
    let path = dir.join(SUBMISSION_TOML);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return Some(Err(vec![Problem::file(path, "is not a plain file")]));
    }
    Some(
        fs::read_to_string(&path)
            .map_err(|e| vec![Problem::file(&path, format!("cannot be read: {e}"))])
            .and_then(|text| parse_manifest(&path, &text)),
    )
}

/// Parses the text of a `submission.toml` (`file` names it in problems), reporting every
/// problem: syntax, unknown keys, types, missing keys, unknown runner or metric names,
/// paths leaving the folder, non-finite claims.
pub fn parse_manifest(file: &Path, text: &str) -> Result<SubmissionManifest, Vec<Problem>> {
    let mut doc = Doc::new(file, text);
    let submission = walk::parse(&mut doc, text).and_then(|root| {
        let mut top = Table::root(&root);
        let runner = top
            .required(&mut doc, "runner")
            .and_then(|v| v.parse(&mut doc, |s| s.parse::<RunnerKind>()));
        let mut paths = |doc: &mut Doc, key| {
            let v = top.required(doc, key)?;
            relative_paths(doc, &v)
        };
        let entry = paths(&mut doc, "entry");
        let report = paths(&mut doc, "report");
        let claims = match top.optional("claims") {
            None => Some(BTreeMap::new()),
            Some(v) => {
                let table = v.table(&mut doc);
                claims(&mut doc, table)
            }
        };
        let model = match top.optional("model") {
            None => Some(None),
            Some(v) => {
                let table = v.table(&mut doc);
                model(&mut doc, table).map(Some)
            }
        };
        top.finish(&mut doc);
        Some(SubmissionManifest {
            runner: runner?,
            entry: entry?,
            report: report?,
            claims: claims?,
            model: model?,
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

fn model(doc: &mut Doc, table: Option<Table>) -> Option<ModelSpec> {
    let mut table = table?;
    let file = required_path(doc, &mut table, "file");
    let ids = required_path(doc, &mut table, "ids");
    let preprocess = match table.optional("preprocess") {
        None => Some(None),
        Some(v) => v
            .text(doc)
            .filter(|p| relative_path(doc, &v.key, p))
            .map(|p| Some(p.value)),
    };
    let inputs = table
        .required(doc, "inputs")
        .and_then(|v| relative_paths(doc, &v));
    let output = match table.optional("output") {
        None => Some(None),
        Some(v) => v.text(doc).map(|t| Some(t.value)),
    };
    let softmax = match table.optional("softmax") {
        None => Some(false),
        Some(v) => v.boolean(doc),
    };
    let classes = match table.optional("classes") {
        None => Some(Vec::new()),
        Some(v) => v
            .strings(doc)
            .map(|items| items.into_iter().map(|c| c.value).collect()),
    };
    table.finish(doc);
    Some(ModelSpec {
        file: file?,
        preprocess: preprocess?,
        inputs: inputs?,
        ids: ids?,
        output: output?,
        softmax: softmax?,
        classes: classes?,
    })
}

/// One relative path or a list of them; every bad one is reported, not just the first.
fn relative_paths(doc: &mut Doc, v: &Value) -> Option<Vec<String>> {
    let items = v.one_or_many(doc)?;
    let bad = items
        .iter()
        .filter(|p| !relative_path(doc, &v.key, p))
        .count();
    (bad == 0).then(|| items.into_iter().map(|p| p.value).collect())
}

/// A required key whose value is a plain relative path.
fn required_path(doc: &mut Doc, table: &mut Table, key: &'static str) -> Option<String> {
    let v = table.required(doc, key)?;
    let p = v.text(doc)?;
    relative_path(doc, &v.key, &p).then_some(p.value)
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
        assert_eq!(s.runner, RunnerKind::Python);
        assert_eq!(s.entry, ["main.py"]);
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
    fn entry_may_list_notebooks_in_order() {
        let s = parse("runner = \"python\"\nentry = [\"notebooks/01_eda.ipynb\", \"notebooks/02_model.ipynb\"]\nreport = \"REPORT.md\"\n")
            .unwrap();
        assert_eq!(
            s.entry,
            ["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"]
        );
        let problems =
            parse("runner = \"python\"\nentry = []\nreport = [\"a.md\", \"../b.md\", 3]\n")
                .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with("s/submission.toml:2:9: `entry` must name at least one file")
        );
        assert!(problems[1].starts_with("s/submission.toml:3:30: `report[2]` must be a string"));
    }

    #[test]
    fn stored_manifests_read_back_whether_one_or_several_entries() {
        let one = parse("runner = \"python\"\nentry = \"main.py\"\nreport = \"R.md\"\n").unwrap();
        let json = serde_json::to_string(&one).unwrap();
        assert!(json.contains("\"entry\":\"main.py\""), "{json}");
        assert_eq!(
            serde_json::from_str::<SubmissionManifest>(&json).unwrap(),
            one
        );
        let many = SubmissionManifest {
            entry: vec!["a.ipynb".into(), "b.ipynb".into()],
            report: Vec::new(),
            ..one
        };
        let json = serde_json::to_string(&many).unwrap();
        assert_eq!(
            serde_json::from_str::<SubmissionManifest>(&json).unwrap(),
            many
        );
    }

    #[test]
    fn a_model_table_reads_with_its_defaults_and_every_problem_is_placed() {
        let s = parse("runner = \"python\"\nentry = \"main.py\"\nreport = \"R.md\"\n[model]\nfile = \"model.onnx\"\ninputs = \"out/x.npy\"\nids = \"out/ids.csv\"\n")
            .unwrap();
        let model = s.model.unwrap();
        assert_eq!(model.inputs, ["out/x.npy"]);
        assert_eq!(
            (model.preprocess, model.output, model.softmax),
            (None, None, false)
        );
        assert!(model.classes.is_empty());
        let problems = parse("runner = \"python\"\nentry = \"main.py\"\nreport = \"R.md\"\n[model]\nfile = \"../model.onnx\"\ninputs = []\nsoftmax = \"yes\"\nclasses = [0, 1]\nweights = 1\n")
            .unwrap_err();
        let expected = [
            ":4:1: missing required key `model.ids` in [model]",
            ":5:8: `model.file` must be a relative path",
            ":6:10: `model.inputs` must name at least one file",
            ":7:11: `model.softmax` must be true or false, found string",
            ":8:12: `model.classes[0]` must be a string, found integer",
            ":8:15: `model.classes[1]` must be a string, found integer",
            ":9:1: unknown key `model.weights` in [model]",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for (problem, expected) in problems.iter().zip(expected) {
            assert!(
                problem.starts_with(&format!("s/submission.toml{expected}")),
                "{problem}"
            );
        }
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
