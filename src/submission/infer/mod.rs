//! Inferring the manifest of a submission handed in without `submission.toml`: the runner,
//! the entry point and the report, from the files' names alone, looking first for what the
//! assignment's `[deliverables]` ask for. When the files leave a choice open, the answer is
//! an error naming the candidates found and the `submission.toml` lines that settle it.
//!
//! The rules (documented in the README under "Submissions without submission.toml"):
//! - runner: the assignment's runner;
//! - entry: the deliverable's entry file if present; otherwise for Python runners the first
//!   of `main.py`, `run.py`, `train.py`, `src/main.py` (or the only `.py` file at the top),
//!   else the one notebook, else every notebook in name order (notebooks first when the
//!   deliverable is a notebook); for the wasi runner the only `.wasm`/`.wat` file;
//! - report: the deliverable's report file if present; otherwise `REPORT.md`, `report.md`,
//!   `README.md` (any case, at the top), the one PDF, the one `.txt` at the top (not
//!   `requirements*.txt` or a licence), else the notebooks (their Markdown cells). No report
//!   at all is a warning, not a rejection.
//!
//! The rules for each key are in [`rules`]; this file decides and words the answer.

mod rules;
#[cfg(test)]
mod tests;

use crate::assignment::{Assignment, Deliverables, SubmissionManifest};
use crate::runner::RunnerKind;

pub use rules::is_notebook;
use rules::{extension, ignored, python_entry, report, wasi_entry};

/// Script names taken as the entry point, in order of preference.
pub const ENTRY_SCRIPTS: [&str; 4] = ["main.py", "run.py", "train.py", "src/main.py"];
/// Report names looked for at the top (compared ignoring case), in order of preference.
pub const REPORT_NAMES: [&str; 2] = ["report.md", "readme.md"];
/// How many candidates a message lists before saying "and N more".
const LISTED: usize = 12;

/// A manifest inferred from the files, and how each key was decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Inferred {
    pub manifest: SubmissionManifest,
    /// One line per key, as it would be written in `submission.toml`, with why it was chosen
    /// as a comment: `entry = "main.py"  # the script main.py`.
    pub lines: Vec<String>,
    /// What is worth a warning (no report found).
    pub warnings: Vec<String>,
}

/// One key's decision, or the candidates between which it could not decide.
enum Choice {
    Chosen {
        paths: Vec<String>,
        why: String,
    },
    Open {
        found: String,
        candidates: Vec<String>,
    },
    None {
        why: String,
    },
}

/// Infers the manifest of a submission holding `files` (paths relative to its root).
pub fn infer(files: &[String], assignment: &Assignment) -> Result<Inferred, String> {
    let files: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|p| !ignored(p))
        .collect();
    let kind = assignment.runner.name;
    let runner = kind.name();
    let d = &assignment.deliverables;
    let entry = match kind {
        RunnerKind::Wasi => wasi_entry(&files, d),
        RunnerKind::Python | RunnerKind::PythonPlain | RunnerKind::PythonNative => {
            python_entry(&files, d)
        }
    };
    let report = report(&files, d);

    let mut open = Vec::new();
    let mut settle = vec![format!("runner = {}", quoted(runner))];
    let mut lines = vec![format!(
        "runner = {}  # the assignment's runner",
        quoted(runner)
    )];
    let mut warnings = Vec::new();
    let mut manifest = SubmissionManifest {
        runner: kind,
        entry: Vec::new(),
        report: Vec::new(),
        claims: Default::default(),
        model: None,
    };
    for (key, what, choice) in [
        ("entry", "entry point", entry),
        ("report", "report", report),
    ] {
        match choice {
            Choice::Chosen { paths, why } => {
                let value = toml_paths(&paths);
                settle.push(format!("{key} = {value}"));
                lines.push(format!("{key} = {value}  # {why}"));
                match key {
                    "entry" => manifest.entry = paths,
                    _ => manifest.report = paths,
                }
            }
            Choice::Open { found, candidates } => {
                settle.push(format!(
                    "{key} = {}  # or another of: {}",
                    quoted(&candidates[0]),
                    listed(&candidates[1..])
                ));
                open.push(format!(
                    "which file is the {what}: {found}: {}",
                    listed(&candidates)
                ));
            }
            Choice::None { why } if key == "entry" => {
                settle.push(format!("entry = {}", toml_paths(&d.entry)));
                open.push(format!("the entry point: {why}"));
            }
            Choice::None { why } => {
                lines.push(format!("# report: none found ({why})"));
                warnings.push(format!(
                    "no report found ({why}): reviewers see only the code"
                ));
            }
        }
    }
    if !open.is_empty() {
        return Err(format!(
            "there is no submission.toml, and intake cannot tell {}. Add a submission.toml at the \
             top of the submission with these lines (naming the files you mean):\n{}",
            open.join("; nor "),
            settle.join("\n")
        ));
    }
    Ok(Inferred {
        manifest,
        lines,
        warnings,
    })
}

/// What each difference between a submission's manifest and the assignment's
/// `[deliverables]` is, as a warning for reviewers: the submission is taken in regardless.
pub fn differences(manifest: &SubmissionManifest, d: &Deliverables) -> Vec<String> {
    let mut out = Vec::new();
    if manifest.entry != d.entry {
        out.push(format!(
            "the assignment asks for the entry point {}; this submission hands in {} instead",
            d.entry_text(),
            described(&manifest.entry)
        ));
    }
    if !manifest.report.is_empty() && manifest.report != [d.report.as_str()] {
        out.push(format!(
            "the assignment asks for the report {}; this submission hands in {} instead",
            d.report,
            described(&manifest.report)
        ));
    }
    out
}

/// Paths described for a message: `notebooks/a.ipynb` or `2 notebooks (a.ipynb, b.ipynb)`.
fn described(paths: &[String]) -> String {
    match paths {
        [one] => format!("{} ({})", one, kind_of(one)),
        many if many.iter().all(|p| is_notebook(p)) => {
            format!("{} notebooks ({})", many.len(), many.join(", "))
        }
        many => format!("{} files ({})", many.len(), many.join(", ")),
    }
}

/// What sort of file a path names, for messages.
fn kind_of(path: &str) -> &'static str {
    match extension(path).as_str() {
        "ipynb" => "a notebook",
        "py" => "a Python script",
        "pdf" => "a PDF",
        "md" => "Markdown",
        "txt" => "plain text",
        "wasm" | "wat" => "a WebAssembly module",
        _ => "a file",
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// One path as a string, several as an array.
fn toml_paths(paths: &[String]) -> String {
    match paths {
        [one] => quoted(one),
        many => format!(
            "[{}]",
            many.iter()
                .map(|p| quoted(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn listed(paths: &[String]) -> String {
    let mut text = paths
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > LISTED {
        text.push_str(&format!(" and {} more", paths.len() - LISTED));
    }
    text
}

fn or_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
