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

use crate::assignment::{Assignment, Deliverables, SubmissionManifest};
use crate::runner::RunnerKind;

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

/// The assignment's own entry points, when the submission has every one of them.
fn asked_for(files: &[&str], d: &Deliverables) -> Option<Choice> {
    let all_there = !d.entry.is_empty() && d.entry.iter().all(|e| files.contains(&e.as_str()));
    all_there.then(|| Choice::Chosen {
        paths: d.entry.clone(),
        why: match d.entry.len() {
            1 => "the entry point the assignment asks for".into(),
            n => format!("the {n} entry points the assignment asks for, in its order"),
        },
    })
}

fn python_entry(files: &[&str], d: &Deliverables) -> Choice {
    if let Some(choice) = asked_for(files, d) {
        return choice;
    }
    let top_scripts = sorted(files, |p| !p.contains('/') && extension(p) == "py");
    let script = ENTRY_SCRIPTS
        .iter()
        .find(|name| files.contains(name))
        .map(|name| Choice::Chosen {
            paths: vec![name.to_string()],
            why: format!("the script {name}"),
        })
        .or_else(|| match top_scripts.as_slice() {
            [one] => Some(Choice::Chosen {
                paths: vec![one.clone()],
                why: "the only Python script at the top".into(),
            }),
            _ => None,
        });
    let notebooks = notebooks(files);
    let notebook = match notebooks.as_slice() {
        [] => None,
        [one] => Some(Choice::Chosen {
            paths: vec![one.clone()],
            why: "the only notebook".into(),
        }),
        many => Some(Choice::Chosen {
            paths: many.to_vec(),
            why: format!("the {} notebooks, run in name order", many.len()),
        }),
    };
    let (first, second) = if is_notebook(d.first_entry()) {
        (notebook, script)
    } else {
        (script, notebook)
    };
    if let Some(choice) = first.or(second) {
        return choice;
    }
    if top_scripts.len() > 1 {
        return Choice::Open {
            found: format!(
                "no {} and no notebook, but {} Python scripts at the top",
                or_list(&ENTRY_SCRIPTS),
                top_scripts.len()
            ),
            candidates: top_scripts,
        };
    }
    let nested = sorted(files, |p| extension(p) == "py");
    if nested.is_empty() {
        Choice::None {
            why: "there is no Python script and no notebook".into(),
        }
    } else {
        Choice::Open {
            found: format!(
                "no {}, no notebook and no script at the top, but {} Python files in folders",
                or_list(&ENTRY_SCRIPTS),
                nested.len()
            ),
            candidates: nested,
        }
    }
}

fn wasi_entry(files: &[&str], d: &Deliverables) -> Choice {
    if let Some(choice) = asked_for(files, d) {
        return choice;
    }
    let modules = sorted(files, |p| matches!(extension(p).as_str(), "wasm" | "wat"));
    match modules.as_slice() {
        [] => Choice::None {
            why: "there is no .wasm or .wat module".into(),
        },
        [one] => Choice::Chosen {
            paths: vec![one.clone()],
            why: "the only WebAssembly module".into(),
        },
        _ => Choice::Open {
            found: format!("{} WebAssembly modules", modules.len()),
            candidates: modules,
        },
    }
}

fn report(files: &[&str], d: &Deliverables) -> Choice {
    if files.contains(&d.report.as_str()) {
        return Choice::Chosen {
            paths: vec![d.report.clone()],
            why: "the report the assignment asks for".into(),
        };
    }
    for name in REPORT_NAMES {
        if let Some(found) = files.iter().find(|p| p.eq_ignore_ascii_case(name)) {
            return Choice::Chosen {
                paths: vec![found.to_string()],
                why: format!("the Markdown file {found}"),
            };
        }
    }
    let pdfs = sorted(files, |p| extension(p) == "pdf");
    let top_pdfs: Vec<String> = pdfs.iter().filter(|p| !p.contains('/')).cloned().collect();
    match (pdfs.as_slice(), top_pdfs.as_slice()) {
        ([], _) => {}
        ([one], _) | (_, [one]) => {
            return Choice::Chosen {
                paths: vec![one.clone()],
                why: "the only PDF".into(),
            };
        }
        _ => {
            return Choice::Open {
                found: format!("{} PDF files", pdfs.len()),
                candidates: pdfs,
            };
        }
    }
    let texts = sorted(files, |p| {
        !p.contains('/') && extension(p) == "txt" && !not_a_report(p)
    });
    match texts.as_slice() {
        [] => {}
        [one] => {
            return Choice::Chosen {
                paths: vec![one.clone()],
                why: "the only text file at the top".into(),
            };
        }
        _ => {
            return Choice::Open {
                found: format!("{} text files at the top", texts.len()),
                candidates: texts,
            };
        }
    }
    let notebooks = notebooks(files);
    if notebooks.is_empty() {
        return Choice::None {
            why: format!(
                "no {}, {}, PDF, text file or notebook",
                d.report,
                or_list(&["REPORT.md", "report.md", "README.md"])
            ),
        };
    }
    Choice::Chosen {
        why: match notebooks.len() {
            1 => "the notebook's Markdown cells".into(),
            n => format!("the Markdown cells of the {n} notebooks"),
        },
        paths: notebooks,
    }
}

/// Every notebook, in name order.
fn notebooks(files: &[&str]) -> Vec<String> {
    sorted(files, is_notebook)
}

/// The files `keep` accepts, in name order.
fn sorted(files: &[&str], keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found: Vec<String> = files
        .iter()
        .filter(|p| keep(p))
        .map(|p| p.to_string())
        .collect();
    found.sort();
    found
}

pub fn is_notebook(path: &str) -> bool {
    extension(path) == "ipynb"
}

/// Files no rule looks at: editor and system leftovers, hidden folders.
fn ignored(path: &str) -> bool {
    path.split('/')
        .any(|part| part.starts_with('.') || part == "__MACOSX" || part == "__pycache__")
}

/// Text files at the top that are not reports.
fn not_a_report(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ["requirements", "license", "licence", "copying", "notice"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
}

fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(runner: &str, entry: &str, report: &str) -> Assignment {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("assignments/churn/assignment.toml"),
        )
        .unwrap();
        let mut a: Assignment = toml::from_str(&text).unwrap();
        a.runner.name = runner.parse().unwrap();
        a.deliverables.entry = vec![entry.into()];
        a.deliverables.report = report.into();
        a
    }

    fn churn() -> Assignment {
        assignment("python", "main.py", "REPORT.md")
    }

    fn infer_files(files: &[&str], a: &Assignment) -> Result<Inferred, String> {
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        infer(&files, a)
    }

    /// (files, entry, report) inferred for the churn assignment (main.py, REPORT.md).
    #[test]
    fn each_rule_picks_the_expected_files() {
        let cases: &[(&[&str], &[&str], &[&str])] = &[
            (
                &["main.py", "REPORT.md", "train.py"],
                &["main.py"],
                &["REPORT.md"],
            ),
            (
                &["run.py", "train.py", "report.md"],
                &["run.py"],
                &["report.md"],
            ),
            (
                &["train.py", "Readme.md", "utils.py"],
                &["train.py"],
                &["Readme.md"],
            ),
            (
                &["src/main.py", "src/model.py", "slides.pdf"],
                &["src/main.py"],
                &["slides.pdf"],
            ),
            (
                &["analysis.py", "notes.txt", "requirements.txt"],
                &["analysis.py"],
                &["notes.txt"],
            ),
            (
                &["solution.ipynb", "requirements.txt"],
                &["solution.ipynb"],
                &["solution.ipynb"],
            ),
            (
                &[
                    "notebooks/02_model.ipynb",
                    "notebooks/01_eda.ipynb",
                    ".ipynb_checkpoints/x.ipynb",
                ],
                &["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"],
                &["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"],
            ),
            (
                &["main.py", "eda.ipynb", "docs/a.pdf", "b.pdf"],
                &["main.py"],
                &["b.pdf"],
            ),
            (&["main.py"], &["main.py"], &[]),
        ];
        for (files, entry, report) in cases {
            let inferred =
                infer_files(files, &churn()).unwrap_or_else(|e| panic!("{files:?}: {e}"));
            assert_eq!(inferred.manifest.entry, *entry, "{files:?}");
            assert_eq!(inferred.manifest.report, *report, "{files:?}");
            assert_eq!(inferred.manifest.runner, RunnerKind::Python);
            assert_eq!(
                inferred.warnings.is_empty(),
                !report.is_empty(),
                "{files:?}"
            );
        }
    }

    #[test]
    fn an_assignment_with_several_entry_points_gets_them_all_in_its_order() {
        let mut a = churn();
        a.deliverables.entry = vec!["nb/02_model.ipynb".into(), "nb/01_eda.ipynb".into()];
        let files = [
            "nb/01_eda.ipynb",
            "nb/02_model.ipynb",
            "main.py",
            "REPORT.md",
        ];
        let inferred = infer_files(&files, &a).unwrap();
        assert_eq!(
            inferred.manifest.entry,
            ["nb/02_model.ipynb", "nb/01_eda.ipynb"]
        );
        assert!(differences(&inferred.manifest, &a.deliverables).is_empty());
        // One of them missing: the usual rules choose, and the difference is named.
        let inferred = infer_files(&files[1..], &a).unwrap();
        assert_eq!(inferred.manifest.entry, ["nb/02_model.ipynb"]);
        let named = differences(&inferred.manifest, &a.deliverables);
        assert!(
            named
                .iter()
                .any(|d| d.contains("nb/02_model.ipynb, then nb/01_eda.ipynb")),
            "{named:?}"
        );
    }

    #[test]
    fn a_notebook_deliverable_prefers_notebooks_over_scripts() {
        let a = assignment("python", "analysis.ipynb", "REPORT.md");
        let inferred = infer_files(&["main.py", "eda.ipynb"], &a).unwrap();
        assert_eq!(inferred.manifest.entry, ["eda.ipynb"]);
        let inferred = infer_files(&["main.py", "eda.ipynb"], &churn()).unwrap();
        assert_eq!(inferred.manifest.entry, ["main.py"]);
    }

    #[test]
    fn ambiguous_entry_is_rejected_with_the_lines_that_settle_it() {
        let error = infer_files(&["model.py", "features.py", "README.md"], &churn()).unwrap_err();
        assert!(
            error.contains("2 Python scripts at the top: features.py, model.py"),
            "{error}"
        );
        assert!(error.contains("runner = \"python\"\nentry = \"features.py\"  # or another of: model.py\nreport = \"README.md\""), "{error}");
        let error = infer_files(&["a.pdf", "b.pdf", "main.py"], &churn()).unwrap_err();
        assert!(error.contains("2 PDF files: a.pdf, b.pdf"), "{error}");
        assert!(
            error.contains("report = \"a.pdf\"  # or another of: b.pdf"),
            "{error}"
        );
        let error = infer_files(&["data.csv", "REPORT.md"], &churn()).unwrap_err();
        assert!(
            error.contains("no Python script and no notebook"),
            "{error}"
        );
        assert!(error.contains("entry = \"main.py\""), "{error}");
    }

    #[test]
    fn wasi_entries_are_modules() {
        let a = assignment("wasi", "main.wasm", "REPORT.md");
        let inferred = infer_files(&["solver.wat", "REPORT.md", "main.py"], &a).unwrap();
        assert_eq!(inferred.manifest.entry, ["solver.wat"]);
        assert_eq!(inferred.manifest.runner, RunnerKind::Wasi);
        assert!(infer_files(&["a.wasm", "b.wasm"], &a).is_err());
    }

    #[test]
    fn differences_from_the_deliverables_are_named() {
        let d = &churn().deliverables;
        let inferred = infer_files(&["solution.ipynb", "slides.pdf"], &churn()).unwrap();
        let warnings = differences(&inferred.manifest, d);
        assert_eq!(
            warnings,
            [
                "the assignment asks for the entry point main.py; this submission hands in solution.ipynb (a notebook) instead",
                "the assignment asks for the report REPORT.md; this submission hands in slides.pdf (a PDF) instead",
            ]
        );
        let inferred = infer_files(&["main.py", "REPORT.md"], &churn()).unwrap();
        assert!(differences(&inferred.manifest, d).is_empty());
    }
}
