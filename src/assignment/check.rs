//! `check`: validates an assignment folder, reporting every problem it finds in one pass.

use std::fs;
use std::path::{Path, PathBuf};

use super::format::Assignment;
use super::problem::{Doc, Problem};
use super::read::{self, ScoringRefs};
use super::walk;
use crate::score::{self, ScoreError};

/// The metadata file of every assignment folder.
pub const ASSIGNMENT_TOML: &str = "assignment.toml";

/// Reads and validates the assignment in `dir` against the format reference
/// (`assignments/README.md`). On failure returns every problem found, sorted by file, line
/// and column: TOML syntax, unknown keys, types, missing keys, values, the rubric, and the
/// folder layout (`brief.md`, `data/`, `hidden/`, the truth file and its header).
/// After a TOML syntax error the keys are not checked (the recovered document is unreliable),
/// but the layout still is. Symbolic links are reported, never followed.
pub fn check(dir: &Path) -> Result<Assignment, Vec<Problem>> {
    if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Err(vec![Problem::file(dir, "not a folder")]);
    }
    let mut problems = Vec::new();
    layout(dir, &mut problems);
    let toml_path = dir.join(ASSIGNMENT_TOML);
    let assignment = match read_text(&toml_path, "every assignment has one") {
        Err(problem) => {
            problems.push(problem);
            None
        }
        Ok(text) => {
            let mut doc = Doc::new(&toml_path, &text);
            let assignment = walk::parse(&mut doc, &text).and_then(|root| {
                let draft = read::read(&mut doc, &root, folder_name(dir).as_deref());
                truth_file(dir, &draft.scoring, &mut doc, &mut problems);
                program_file(dir, &draft.scoring, &mut doc);
                draft.assignment
            });
            problems.extend(doc.problems);
            assignment
        }
    };
    problems.sort();
    problems.dedup();
    match assignment {
        Some(assignment) if problems.is_empty() => Ok(assignment),
        // Every failed key records a problem, so this is only a guard.
        _ if problems.is_empty() => Err(vec![Problem::file(toml_path, "could not be read")]),
        _ => Err(problems),
    }
}

fn folder_name(dir: &Path) -> Option<String> {
    let name = dir
        .file_name()
        .map(PathBuf::from)
        .or_else(|| dir.canonicalize().ok()?.file_name().map(PathBuf::from));
    name?.to_str().map(str::to_string)
}

/// Reads a required plain file, as a problem with the file if it cannot be.
fn read_text(path: &Path, why: &str) -> Result<String, Problem> {
    match fs::symlink_metadata(path) {
        Err(_) => Err(Problem::file(path, format!("missing: {why}"))),
        Ok(m) if m.is_symlink() => Err(Problem::file(path, "is a symbolic link: use a plain file")),
        Ok(m) if !m.is_file() => Err(Problem::file(path, "is not a file")),
        Ok(_) => fs::read_to_string(path)
            .map_err(|e| Problem::file(path, format!("cannot be read: {e}"))),
    }
}

/// The fixed parts of the folder: `brief.md`, `data/`, `hidden/`.
fn layout(dir: &Path, problems: &mut Vec<Problem>) {
    let brief = dir.join("brief.md");
    if let Err(problem) = read_text(&brief, "the brief the candidate reads") {
        problems.push(problem);
    }
    for (name, why) in [
        ("data", "the public data given to the candidate"),
        ("hidden", "the held-out truth"),
    ] {
        let path = dir.join(name);
        match fs::symlink_metadata(&path) {
            Err(_) => problems.push(Problem::file(path, format!("missing folder: {why}"))),
            Ok(m) if m.is_symlink() => problems.push(Problem::file(
                path,
                "is a symbolic link: use a plain folder",
            )),
            Ok(m) if !m.is_dir() => problems.push(Problem::file(path, "is not a folder")),
            Ok(_) => {}
        }
    }
}

/// The scoring program, if named, is a plain file.
fn program_file(dir: &Path, refs: &ScoringRefs, doc: &mut Doc) {
    let Some(program) = &refs.program else { return };
    match std::fs::symlink_metadata(dir.join(&program.value)) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => doc.at(
            &program.span,
            format!("`scoring.program` `{}` is not a plain file", program.value),
        ),
        Err(_) => doc.at(
            &program.span,
            format!(
                "`scoring.program` is `{}`, which does not exist",
                program.value
            ),
        ),
    }
}

/// The truth file: it exists, its header has the id and target columns, and it reads as the
/// metric needs (`score::check_truth`). Column problems are placed at the key naming the column.
fn truth_file(dir: &Path, refs: &ScoringRefs, doc: &mut Doc, problems: &mut Vec<Problem>) {
    let Some(truth) = &refs.truth else { return };
    let path = dir.join(&truth.value);
    let text = match fs::symlink_metadata(&path) {
        Err(_) => {
            doc.at(
                &truth.span,
                format!("`scoring.truth` is `{}`, which does not exist", truth.value),
            );
            return;
        }
        Ok(m) if m.is_symlink() => {
            doc.at(
                &truth.span,
                format!(
                    "`scoring.truth` `{}` is a symbolic link: use a plain file",
                    truth.value
                ),
            );
            return;
        }
        Ok(m) if !m.is_file() => {
            doc.at(
                &truth.span,
                format!("`scoring.truth` `{}` is not a file", truth.value),
            );
            return;
        }
        Ok(_) => match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => return problems.push(Problem::file(path, format!("cannot be read: {e}"))),
        },
    };
    let csv = match score::parse_csv(&text) {
        Ok(csv) => csv,
        Err(e) => {
            let message = format!("not valid CSV: {e}");
            return problems.push(Problem {
                file: path,
                line: e.line(),
                column: None,
                message,
            });
        }
    };
    let mut columns_ok = true;
    for (key, column) in [
        ("id_column", &refs.id_column),
        ("target_column", &refs.target_column),
    ] {
        let Some(column) = column else {
            columns_ok = false;
            continue;
        };
        if csv.column(&column.value).is_none() {
            let found: Vec<String> = csv
                .header
                .iter()
                .map(|h| format!("`{}`", h.trim()))
                .collect();
            doc.at(
                &column.span,
                format!(
                    "`scoring.{key}` is `{}`, which is not a column of {} (columns: {})",
                    column.value,
                    truth.value,
                    found.join(", ")
                ),
            );
            columns_ok = false;
        }
    }
    let (Some(metric), Some(id), Some(target)) =
        (refs.metric, &refs.id_column, &refs.target_column)
    else {
        return;
    };
    if !columns_ok || !refs.k_fits {
        return;
    }
    let k = refs.k.as_ref().map(|k| k.value);
    match score::check_truth(metric, k, &text, &id.value, &target.value) {
        Ok(_) => {}
        Err(e @ ScoreError::KTooLarge { .. }) => {
            if let Some(k) = &refs.k {
                doc.at(&k.span, format!("`scoring.k`: {e} of {}", truth.value));
            }
        }
        Err(e) => problems.push(Problem {
            file: path,
            line: e.line(),
            column: None,
            message: e.to_string(),
        }),
    }
}
