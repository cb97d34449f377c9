//! Report text as pieces with their places: a paragraph of a Markdown or text file, a PDF
//! page, a notebook markdown cell. What the readers of reports give and the stages above read.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a piece of report text is: a file and, within it, a line, a page or a cell
/// (numbered from 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<usize>,
}

impl Location {
    pub fn line(file: &str, line: usize) -> Location {
        Location {
            file: file.to_string(),
            line: Some(line),
            ..Default::default()
        }
    }
    pub fn page(file: &str, page: usize) -> Location {
        Location {
            file: file.to_string(),
            page: Some(page),
            ..Default::default()
        }
    }
    pub fn cell(file: &str, cell: usize) -> Location {
        Location {
            file: file.to_string(),
            cell: Some(cell),
            ..Default::default()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(page) = self.page {
            write!(f, " page {page}")?;
        }
        if let Some(cell) = self.cell {
            write!(f, " cell {cell}")?;
        }
        Ok(())
    }
}

/// Some report text and where it is. A piece is searched sentence by sentence, so a
/// paragraph (or a page, or a cell) is a good piece; Markdown tables are recognised by their
/// `|` rows.
#[derive(Clone, Debug, PartialEq)]
pub struct TextPiece {
    pub location: Location,
    pub text: String,
}

/// Markdown or plain text as pieces: one per paragraph, with its first line (tables stay
/// whole, rows keep their own lines). Lines inside fenced code blocks are skipped. For
/// notebook cells, call with `start_line` 1 and then set each piece's `cell`.
pub fn markdown_pieces(file: &str, text: &str) -> Vec<TextPiece> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut fence = false;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        if line.trim().is_empty() {
            if !current.is_empty() {
                pieces.push(TextPiece {
                    location: Location::line(file, start + 1),
                    text: std::mem::take(&mut current),
                });
            }
            continue;
        }
        if current.is_empty() {
            start = n;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.is_empty() {
        pieces.push(TextPiece {
            location: Location::line(file, start + 1),
            text: current,
        });
    }
    pieces
}
