//! The readable text of a report: a Markdown or text file as it is, a notebook's Markdown
//! cells. A PDF (or anything else) has none that intake reads; reviewers open it themselves.

use serde_json::Value;

/// How a report file can be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportText {
    /// Markdown (plain text reads as Markdown too).
    Markdown(String),
    /// A file whose text intake does not read (a PDF), or that is not what its name says.
    Unreadable(String),
}

/// The text of the report file `path` holding `bytes`.
pub fn report_text(path: &str, bytes: &[u8]) -> ReportText {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".ipynb") {
        return match notebook_markdown(bytes) {
            Some(text) => ReportText::Markdown(text),
            None => ReportText::Unreadable(format!(
                "{path} is not a readable notebook (JSON with cells)"
            )),
        };
    }
    if lower.ends_with(".md") || lower.ends_with(".markdown") || lower.ends_with(".txt") {
        return match String::from_utf8(bytes.to_vec()) {
            Ok(text) => ReportText::Markdown(text),
            Err(_) => ReportText::Unreadable(format!("{path} is not UTF-8 text")),
        };
    }
    let kind = if lower.ends_with(".pdf") {
        "a PDF"
    } else {
        "not Markdown or text"
    };
    ReportText::Unreadable(format!("{path} is {kind}: its sections are not checked"))
}

/// The Markdown cells of a notebook (nbformat 4, `source` a string or a list of lines),
/// separated by blank lines. `None` if the bytes are not a notebook.
pub fn notebook_markdown(bytes: &[u8]) -> Option<String> {
    let notebook: Value = serde_json::from_slice(bytes).ok()?;
    let cells = notebook.get("cells")?.as_array()?;
    let mut parts = Vec::new();
    for cell in cells {
        if cell.get("cell_type").and_then(Value::as_str) != Some("markdown") {
            continue;
        }
        let text = match cell.get("source") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Array(lines)) => lines.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        parts.push(text.trim_end().to_string());
    }
    Some(parts.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notebook_markdown_cells_are_the_text() {
        let notebook = br###"{"cells": [
            {"cell_type": "markdown", "source": ["# Method\n", "We fit a model."]},
            {"cell_type": "code", "source": "# Not a heading\nx = 1"},
            {"cell_type": "markdown", "source": "## Limitations"}
        ], "nbformat": 4}"###;
        assert_eq!(
            report_text("a/b.ipynb", notebook),
            ReportText::Markdown("# Method\nWe fit a model.\n\n## Limitations".into())
        );
        assert!(matches!(
            report_text("x.ipynb", b"{]"),
            ReportText::Unreadable(_)
        ));
    }

    #[test]
    fn pdfs_are_not_read() {
        let ReportText::Unreadable(why) = report_text("Slides.PDF", b"%PDF-1.4") else {
            panic!("a PDF was read as text");
        };
        assert_eq!(why, "Slides.PDF is a PDF: its sections are not checked");
        assert_eq!(
            report_text("notes.txt", b"# A"),
            ReportText::Markdown("# A".into())
        );
    }
}
