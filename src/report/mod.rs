//! Candidates' reports as they come: Markdown (`.md`, `.markdown`), plain text (`.txt`),
//! PDF (`.pdf`, read in a limited child process, [`pdf`]) and notebooks (`.ipynb`, whose
//! markdown cells are the report). [`read`] gives the report's files and its text as
//! located pieces, for the structure check, for claims and for search.
//!
//! The report is the file `submission.toml` names; PDFs elsewhere in the submission (not
//! under `data/` or `out/`) are read beside it, up to [`MAX_EXTRA_PDFS`]: slides next to a
//! Markdown write-up are part of the report too.

pub mod byline;
pub mod cover;
pub mod pdf;
pub mod pieces;

use serde::{Deserialize, Serialize};

use crate::base::FileRef;
use crate::store::Blobs;
use pieces::{Location, TextPiece, markdown_pieces};

/// PDFs read beside the named report, at most.
pub const MAX_EXTRA_PDFS: usize = 4;
/// Report files larger than this are not read (PDFs have their own cap, [`pdf::MAX_BYTES`]).
pub const MAX_TEXT_BYTES: u64 = 4 << 20;

/// How a report file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Markdown,
    Text,
    Pdf,
    Notebook,
}

impl Format {
    /// The format of `path`, by extension; `None`: not a report format.
    pub fn of(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "md" | "markdown" => Format::Markdown,
            "txt" | "text" => Format::Text,
            "pdf" => Format::Pdf,
            "ipynb" => Format::Notebook,
            _ => return None,
        })
    }
}

/// One file of the report.
#[derive(Clone, Debug)]
pub struct ReportFile {
    pub path: String,
    pub format: Format,
    /// Markdown or text source; for a notebook its markdown cells, joined.
    pub source: String,
    /// For a PDF: what the child process read.
    pub pdf: Option<pdf::PdfReport>,
    /// Why the file could not be read ("PDF could not be read: ...").
    pub error: Option<String>,
}

/// The report of a submission.
#[derive(Clone, Debug, Default)]
pub struct ReportText {
    pub files: Vec<ReportFile>,
    /// All of the report's text, located, in file order.
    pub pieces: Vec<TextPiece>,
}

impl ReportText {
    /// Whether the named report file was found.
    pub fn has(&self, path: &str) -> bool {
        self.files.iter().any(|f| f.path == path)
    }

    /// Every heading of the report: Markdown headings, notebook markdown headings, PDF
    /// outline entries and PDF lines that look like headings.
    pub fn headings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for file in &self.files {
            match (&file.pdf, file.format) {
                (Some(pdf), _) => {
                    out.extend(pdf.outline.iter().cloned());
                    for page in &pdf.pages {
                        out.extend(
                            page.text
                                .lines()
                                .map(str::trim)
                                .filter(|l| looks_like_heading(l))
                                .map(str::to_string),
                        );
                    }
                }
                (None, Format::Text) => out.extend(
                    file.source
                        .lines()
                        .map(str::trim)
                        .filter(|l| looks_like_heading(l))
                        .map(str::to_string),
                ),
                (None, _) => out.extend(crate::assignment::markdown_headings(&file.source)),
            }
        }
        out
    }
}

/// A short line without a sentence's end: a heading in text without markup.
fn looks_like_heading(line: &str) -> bool {
    !line.is_empty()
        && line.split_whitespace().count() <= 8
        && line.len() <= 80
        && !line.ends_with(['.', ',', ';'])
        && line.chars().any(char::is_alphabetic)
}

/// Reads the report files named in `report` (usually one; several notebooks whose markdown
/// is the report), in that order, and the PDFs beside them from the stored `files`. PDF
/// pages are not rendered here: packets render them once they know what to cover
/// ([`pdf::read`] with a [`cover::Cover`]). Never fails: a file that cannot be read carries
/// its error.
pub fn read(blobs: &Blobs, files: &[FileRef], report: &[String]) -> ReportText {
    let mut chosen: Vec<&FileRef> = report
        .iter()
        .filter_map(|path| files.iter().find(|f| &f.path == path))
        .collect();
    chosen.extend(
        files
            .iter()
            .filter(|f| {
                !report.contains(&f.path)
                    && Format::of(&f.path) == Some(Format::Pdf)
                    && !f.path.starts_with("data/")
                    && !f.path.starts_with("out/")
            })
            .take(MAX_EXTRA_PDFS),
    );
    let mut text = ReportText::default();
    for file in chosen {
        let Some(format) = Format::of(&file.path) else {
            continue;
        };
        let mut entry = ReportFile {
            path: file.path.clone(),
            format,
            source: String::new(),
            pdf: None,
            error: None,
        };
        let limit = if format == Format::Pdf {
            pdf::MAX_BYTES
        } else {
            MAX_TEXT_BYTES
        };
        let bytes = if file.bytes > limit {
            Err(format!(
                "{} is {} bytes, more than the {limit} read",
                file.path, file.bytes
            ))
        } else {
            blobs
                .get(&file.sha256)
                .map_err(|e| format!("{} cannot be read: {e:#}", file.path))
        };
        match (bytes, format) {
            (Err(e), _) => entry.error = Some(e),
            (Ok(bytes), Format::Pdf) => match pdf::read(&bytes, &file.sha256, None) {
                Ok(report) => {
                    for (n, page) in report.pages.iter().enumerate() {
                        text.pieces.push(TextPiece {
                            location: Location::page(&file.path, n + 1),
                            text: page.text.clone(),
                        });
                    }
                    entry.pdf = Some(report);
                }
                Err(e) => entry.error = Some(format!("PDF could not be read: {e}")),
            },
            (Ok(bytes), Format::Notebook) => match notebook_cells(&bytes) {
                Ok(cells) => {
                    for (n, cell) in cells {
                        for mut piece in markdown_pieces(&file.path, &cell) {
                            piece.location = Location::cell(&file.path, n);
                            text.pieces.push(piece);
                        }
                        entry.source.push_str(&cell);
                        entry.source.push_str("\n\n");
                    }
                }
                Err(e) => entry.error = Some(format!("{}: {e}", file.path)),
            },
            (Ok(bytes), _) => {
                entry.source = String::from_utf8_lossy(&bytes).into_owned();
                text.pieces
                    .extend(markdown_pieces(&file.path, &entry.source));
            }
        }
        text.files.push(entry);
    }
    text
}

/// The markdown cells of a notebook as (cell number from 1, source).
pub fn notebook_cells(bytes: &[u8]) -> Result<Vec<(usize, String)>, String> {
    #[derive(Deserialize)]
    struct Notebook {
        #[serde(default)]
        cells: Vec<Cell>,
    }
    #[derive(Deserialize)]
    struct Cell {
        #[serde(default)]
        cell_type: String,
        #[serde(default)]
        source: Source,
    }
    #[derive(Deserialize, Default)]
    #[serde(untagged)]
    enum Source {
        Text(String),
        Lines(Vec<String>),
        #[default]
        None,
    }
    let notebook: Notebook =
        serde_json::from_slice(bytes).map_err(|e| format!("not a notebook: {e}"))?;
    Ok(notebook
        .cells
        .into_iter()
        .enumerate()
        .filter(|(_, c)| c.cell_type == "markdown")
        .map(|(i, c)| {
            let text = match c.source {
                Source::Text(t) => t,
                Source::Lines(lines) => lines.concat(),
                Source::None => String::new(),
            };
            (i + 1, text)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_formats_are_told_by_extension() {
        for (path, format) in [
            ("REPORT.md", Some(Format::Markdown)),
            ("report.TXT", Some(Format::Text)),
            ("docs/Slides.PDF", Some(Format::Pdf)),
            ("analysis.ipynb", Some(Format::Notebook)),
            ("main.py", None),
            ("README", None),
        ] {
            assert_eq!(Format::of(path), format, "{path}");
        }
    }

    #[test]
    fn notebook_markdown_cells_are_numbered_among_all_cells() {
        let nb = r##"{"cells": [{"cell_type": "code", "source": "x = 1"},
            {"cell_type": "markdown", "source": ["# Results\n", "AUC is 0.9"]},
            {"cell_type": "markdown", "source": "plain"}]}"##;
        let cells = notebook_cells(nb.as_bytes()).unwrap();
        assert_eq!(
            cells,
            [
                (2, "# Results\nAUC is 0.9".to_string()),
                (3, "plain".to_string())
            ]
        );
        assert!(notebook_cells(b"{not json").is_err());
    }
}
