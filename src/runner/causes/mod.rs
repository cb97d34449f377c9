//! Named causes for failures the interpreter only describes: code written for an older
//! library (`version_drift`, from the table in [`drift`]), and files opened from C code that
//! were never committed (`missing_file`: a path an error names that the submission lacks, or
//! an SQLite database the run created empty). Read from the finished run's errors, so both
//! runners and every entry get them.

pub mod drift;

use std::path::Path;

use crate::record::{Diagnostic, DiagnosticKind, RunRecord, Verdict};

/// Adds the causes the run's errors show to its diagnostics. `folder` is the candidate's
/// folder the run started from.
pub fn name_causes(record: &mut RunRecord, folder: &Path) {
    let errors = errors(record);
    let mut found = Vec::new();
    for (place, ename, evalue) in &errors {
        if let Some(change) = drift::explain(ename, evalue) {
            found.push(Diagnostic {
                kind: DiagnosticKind::VersionDrift,
                detail: change.library.to_string(),
                count: 1,
                message: format!(
                    "{place} raised {ename}: {}; the code was likely written for {} {}: {}",
                    first_line(evalue),
                    change.library,
                    change.written_for,
                    change.change
                ),
            });
        }
        found.extend(missing_files(record, folder, place, ename, evalue));
    }
    for diagnostic in found {
        let known = record
            .diagnostics
            .iter()
            .any(|d| d.kind == diagnostic.kind && d.detail == diagnostic.detail);
        if !known {
            record.diagnostics.push(diagnostic);
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

/// The run's errors as `(where, ename, evalue)`: each failing notebook cell's, else the last
/// exception in stderr's traceback.
fn errors(record: &RunRecord) -> Vec<(String, String, String)> {
    let mut errors: Vec<(String, String, String)> = record
        .notebooks()
        .into_iter()
        .flat_map(|nb| {
            nb.cells.iter().filter_map(move |c| {
                c.error.as_ref().map(|e| {
                    (
                        format!("{} cell {}", nb.path, c.index),
                        e.ename.clone(),
                        e.evalue.clone(),
                    )
                })
            })
        })
        .collect();
    if errors.is_empty()
        && record.verdict == Verdict::Exit
        && let Some((ename, evalue)) = last_exception(&record.stderr.text)
    {
        let place = record
            .runner
            .entry
            .clone()
            .unwrap_or_else(|| "the program".into());
        errors.push((place, ename, evalue));
    }
    errors
}

/// The last `Name: message` line of a Python traceback (with the lines after it, which
/// belong to the message), when stderr has a traceback.
fn last_exception(stderr: &str) -> Option<(String, String)> {
    let traceback = stderr.rfind("Traceback (most recent call last):")?;
    let lines: Vec<&str> = stderr[traceback..].lines().collect();
    let at = lines
        .iter()
        .rposition(|line| exception_line(line).is_some())?;
    let (ename, first) = exception_line(lines[at])?;
    let rest: Vec<&str> = lines[at + 1..].iter().take(5).copied().collect();
    let evalue = std::iter::once(first)
        .chain(rest)
        .collect::<Vec<_>>()
        .join("\n");
    Some((ename.to_string(), evalue))
}

/// `("KeyError", "'x'")` from `KeyError: 'x'` or `pandas.errors.X: m`; `None` for other lines.
fn exception_line(line: &str) -> Option<(&str, &str)> {
    if line.starts_with(' ') {
        return None;
    }
    let (name, message) = line
        .split_once(": ")
        .or_else(|| line.strip_suffix(':').map(|n| (n, "")))?;
    let last = name.rsplit('.').next()?;
    let is_name = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let exception = name.split('.').all(is_name)
        && (last.ends_with("Error") || last.ends_with("Exception") || last == "KeyboardInterrupt");
    exception.then_some((last, message))
}

/// Files the error names that neither the submission nor the run has, and SQLite databases
/// the run created empty before a "no such table" error.
fn missing_files(
    record: &RunRecord,
    folder: &Path,
    place: &str,
    ename: &str,
    evalue: &str,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if evalue.contains("no such table") {
        for output in &record.outputs {
            let is_database = [".db", ".sqlite", ".sqlite3", ".db3"]
                .iter()
                .any(|ext| output.path.to_ascii_lowercase().ends_with(ext));
            if is_database && output.bytes == 0 && !folder.join(&output.path).exists() {
                found.push(missing(
                    &output.path,
                    format!(
                        "{place} raised {ename}: {}: the database {} is not in the submission, so SQLite created it empty",
                        first_line(evalue),
                        output.path
                    ),
                ));
            }
        }
    }
    for path in quoted_paths(evalue) {
        let entry_dir = record
            .runner
            .entry
            .as_deref()
            .and_then(|e| Path::new(e).parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let relative = path.trim_start_matches("/work/");
        let exists = folder.join(relative).exists()
            || folder.join(&entry_dir).join(relative).exists()
            || record.outputs.iter().any(|o| o.path.ends_with(relative));
        if !exists
            && (evalue.contains("No such file")
                || evalue.contains("does not exist")
                || evalue.contains("unable to open")
                || evalue.contains("not found"))
        {
            found.push(missing(
                &path,
                format!(
                    "{place} raised {ename}: {}: {path} is not in the submission",
                    first_line(evalue)
                ),
            ));
        }
    }
    found
}

fn missing(path: &str, message: String) -> Diagnostic {
    Diagnostic {
        kind: DiagnosticKind::MissingFile,
        detail: path.to_string(),
        count: 1,
        message,
    }
}

/// Quoted strings in an error message that look like file paths (a `/` or an extension).
fn quoted_paths(message: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for quote in ['\'', '"'] {
        let parts: Vec<&str> = message.split(quote).collect();
        for inside in parts.iter().skip(1).step_by(2) {
            let looks_like_path = !inside.is_empty()
                && !inside.contains(char::is_whitespace)
                && inside.len() < 260
                && (inside.contains('/')
                    || inside.rsplit_once('.').is_some_and(|(stem, ext)| {
                        !stem.is_empty()
                            && (1..=5).contains(&ext.len())
                            && ext.chars().all(|c| c.is_ascii_alphanumeric())
                    }));
            if looks_like_path && !paths.iter().any(|p: &String| p == inside) {
                paths.push(inside.to_string());
            }
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_exception_of_a_traceback_is_found_with_its_message() {
        let stderr = "Traceback (most recent call last):\n  File \"/work/main.py\", line 3, in <module>\n    df.std()\nTypeError: Cannot perform reduction 'std' with string dtype\n";
        assert_eq!(
            last_exception(stderr),
            Some((
                "TypeError".into(),
                "Cannot perform reduction 'std' with string dtype".into()
            ))
        );
        let dotted = "Traceback (most recent call last):\n  x\npandas.errors.DatabaseError: Execution failed on sql 'SELECT 1': no such table: t\n";
        assert_eq!(last_exception(dotted).unwrap().0, "DatabaseError");
        assert_eq!(last_exception("no traceback here\n"), None);
    }

    #[test]
    fn quoted_paths_are_those_with_a_folder_or_an_extension() {
        assert_eq!(
            quoted_paths("unable to open file: name = 'data/train.h5', errno = 2"),
            ["data/train.h5"]
        );
        assert_eq!(quoted_paths("no such table: 'users'"), Vec::<String>::new());
        assert_eq!(
            quoted_paths("[Errno 2] No such file or directory: \"x.xlsx\""),
            ["x.xlsx"]
        );
    }
}
