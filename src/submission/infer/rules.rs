//! How each key of an inferred manifest is chosen: the entry point of a Python or wasi
//! submission, and the report.

use crate::assignment::Deliverables;

use super::{Choice, ENTRY_SCRIPTS, REPORT_NAMES, or_list};

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

pub(super) fn python_entry(files: &[&str], d: &Deliverables) -> Choice {
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

pub(super) fn wasi_entry(files: &[&str], d: &Deliverables) -> Choice {
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

pub(super) fn report(files: &[&str], d: &Deliverables) -> Choice {
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
pub(super) fn ignored(path: &str) -> bool {
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

pub(super) fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}
