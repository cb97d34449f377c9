//! The `assignment.toml` format as Rust types; the reference is `assignments/README.md`.
//!
//! The serde derives mirror the TOML exactly (unknown keys rejected), so a valid file also
//! reads with `toml::from_str::<Assignment>`; but only [`super::check`] validates it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::RunnerKind;
use crate::base::limits::{Bytes, Limits, duration_text};
use crate::score::Metric;

/// One assignment, as its `assignment.toml` describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// Identifier: lowercase ASCII letters, digits and `-`; equals the folder name.
    pub id: String,
    /// One-line title shown to candidates and graders.
    pub title: String,
    /// Semantic version `MAJOR.MINOR.PATCH` of the assignment content.
    pub version: String,
    /// Seniority the assignment targets.
    pub level: Level,
    /// Time the candidate is given, written like `"7d"`.
    #[serde(with = "duration_text")]
    pub time_allowed: Duration,
    /// `[runner]`: what executes submissions.
    pub runner: RunnerSpec,
    /// `[deliverables]`: what a submission must contain and produce.
    pub deliverables: Deliverables,
    /// `[scoring]`: how the predictions are scored automatically.
    pub scoring: Scoring,
    /// `[[rubric]]`: the criteria of the human grade, in file order.
    pub rubric: Vec<Criterion>,
}

/// Seniority level, written `"junior"` or `"mid"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Junior,
    Mid,
}

impl Level {
    /// The name written in `assignment.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Junior => "junior",
            Level::Mid => "mid",
        }
    }
}

/// `[runner]`: the runner and any limits that differ from its defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerSpec {
    pub name: RunnerKind,
    /// `[runner.limits]`: only the limits the assignment sets; apply them to the runner's
    /// defaults with [`LimitsOverlay::apply`].
    #[serde(default)]
    pub limits: LimitsOverlay,
    /// `packages`: extra packages the assignment's runs may import, each an exact pin
    /// `name==version` (see [`super::Pin`]). Python runners only; resolved and pinned by
    /// sha256 when the assignment is added: to wheels without compiled code, each alone, for
    /// the WebAssembly runners; to binary wheels with all their dependencies when the runner
    /// or its fallback is `python-native` (see [`super::PackageTarget`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// `fallback`: a runner (only `python-native`) that a run ending with `missing_module`
    /// is run again on, when that runner provides the missing package. The record of the
    /// rerun keeps the first run in `fallback_of`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<RunnerKind>,
    /// `allow_requirements`: a submission's own packages (its `requirements.txt`, else what
    /// its imports name) are resolved to binary wheels at intake, stored with it and
    /// installed in its python-native runs. Only where python-native runs. Default: false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_requirements: bool,
}

/// `[runner.limits]`: limits an assignment overrides, every one optional. Only the keys of
/// the format reference are accepted (not the sandbox-internal `compile` and `module_size`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsOverlay {
    /// Instruction budget (fuel units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Wall-clock time for the run, written like `"120s"`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_duration"
    )]
    pub wall: Option<Duration>,
    /// Cap on guest memory, written like `"2GiB"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
    /// Stdout bytes kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<Bytes>,
    /// Stderr bytes kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<Bytes>,
    /// Total size of files in the writable folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_bytes: Option<Bytes>,
    /// Number of files, folders and links in the writable folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_files: Option<u64>,
}

impl LimitsOverlay {
    /// `base` (the runner's defaults) with every limit this overlay sets replaced.
    pub fn apply(&self, base: &Limits) -> Limits {
        Limits {
            fuel: self.fuel.unwrap_or(base.fuel),
            wall: self.wall.unwrap_or(base.wall),
            memory: self.memory.unwrap_or(base.memory),
            stdout: self.stdout.unwrap_or(base.stdout),
            stderr: self.stderr.unwrap_or(base.stderr),
            out_bytes: self.out_bytes.unwrap_or(base.out_bytes),
            out_files: self.out_files.unwrap_or(base.out_files),
            ..base.clone()
        }
    }
}

/// `[deliverables]`: what the candidate hands in and what the run must leave behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deliverables {
    /// Report file name expected in the submission, e.g. `REPORT.md`.
    pub report: String,
    /// Headings the report must contain, matched by title (see [`super::report_sections`]).
    pub sections: Vec<String>,
    /// Entry points the candidate must provide, run in order in one working copy: `main.py`,
    /// or `["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"]`.
    #[serde(deserialize_with = "one_or_many")]
    pub entry: Vec<String>,
    /// Files the run must leave behind, relative to the submission folder.
    pub outputs: Vec<String>,
    /// Whether packets show the pages of PDF reports as images (`pdf_page_images`, default
    /// true). Identity found in a page's text is boxed over on its image, and pages without
    /// a text layer are shown as text; a name inside a picture on a page, or drawn as
    /// shapes, is not found. Set false to show only the extracted (de-identified) text.
    #[serde(default = "yes")]
    pub pdf_page_images: bool,
}

impl Deliverables {
    /// The entry points as a reader sees them: `main.py`, or `a.ipynb, then b.ipynb`.
    pub fn entry_text(&self) -> String {
        self.entry.join(", then ")
    }

    /// The first entry point (the file the runner starts).
    pub fn first_entry(&self) -> &str {
        self.entry.first().map_or("", String::as_str)
    }
}

/// A string or a list of strings (older stored versions hold one entry as a string).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

fn yes() -> bool {
    true
}

/// `[scoring]`: the automatic score of the candidate's predictions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// The metric (definitions in the format reference).
    pub metric: Metric,
    /// The candidate's prediction file, relative to the submission folder; one of the outputs.
    pub output: String,
    /// The truth file, relative to the assignment folder, under `hidden/`.
    pub truth: String,
    /// Column present in both files that joins them.
    pub id_column: String,
    /// Label column in the truth file.
    pub target_column: String,
    /// Column in the prediction file.
    pub prediction_column: String,
    /// `k` of `precision_at_k` (≥ 1); absent for every other metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// A claim within this distance of the measured value is verified (≥ 0).
    pub tolerance: f64,
    /// A scoring program under `scoring/` (`.py`, `.wasm` or `.wat`) that computes the metric
    /// instead of the built-in one. It runs in the sandbox with `hidden/` and the candidate's
    /// outputs (at `outputs/`) read-only in its working folder, and prints the value as the
    /// last line of stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
}

/// One `[[rubric]]` criterion of the human grade.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Identifier, unique within the assignment (lowercase letters, digits, `-`).
    pub id: String,
    /// Name shown to graders.
    pub title: String,
    /// Share of the human grade, in (0, 1]; the weights of all criteria sum to 1.
    pub weight: f64,
    /// Descriptors for scores 1 (poor) to 4 (excellent), in that order.
    pub levels: [String; 4],
}

/// Serde adapter: an optional duration as text (`"120s"`).
mod optional_duration {
    use super::*;
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => duration_text::serialize(d, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        duration_text::deserialize(d).map(Some)
    }
}
