//! Notebooks in packets, shown as notebooks: markdown cells rendered and sanitised like the
//! report, code cells with line numbers, and their outputs made inert. Text is escaped by
//! the template; HTML goes through ammonia (tables kept; script, style, iframes and event
//! handlers dropped); PNGs are decoded and re-encoded, so only pixels reach the page; JPEGs
//! are checked by their magic number; SVGs are shown only as `<img>` (where no browser runs
//! their scripts); `application/javascript`, widgets and other types are named, never shown.

use serde::Serialize;

use crate::record::{Difference, DifferenceKind, NotebookRecord, SavedOutput};
use crate::runner::notebook::{self, Cell, Notebook, Output, mime_text};

/// A notebook as a reviewer sees it.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct NotebookView {
    pub path: String,
    pub bytes: u64,
    /// The saved execution counts are not increasing.
    pub out_of_order: bool,
    /// Whether a rerun's outputs are shown next to the saved ones where they differ.
    pub rerun: bool,
    /// Cells counted by how their saved outputs compare with the rerun's: `14 same, 9
    /// display, 2 numbers (unseeded randomness)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproducibility: Option<String>,
    pub cells: Vec<CellView>,
    /// Why the file could not be shown as a notebook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct CellView {
    pub index: usize,
    /// `markdown`, `code` or `raw`.
    pub kind: String,
    /// Sanitised HTML of a markdown cell.
    pub html: Option<String>,
    /// Source lines of a code or raw cell.
    pub lines: Vec<String>,
    pub execution_count: Option<u64>,
    /// The outputs saved in the file.
    pub outputs: Vec<OutputView>,
    /// The rerun's outputs, only where they differ from the saved ones.
    pub rerun_outputs: Option<Vec<OutputView>>,
    /// How they differ (kind, summary, likely cause), where they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<Difference>,
    /// Display and warning differences are folded away until the reviewer opens them.
    #[serde(default)]
    pub folded: bool,
    /// `ok`, `error` or `skipped` in the rerun, when there was one.
    pub status: Option<String>,
}

/// One output, ready for the template.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct OutputView {
    /// `text`, `error`, `html`, `image` or `omitted`.
    pub kind: String,
    /// Plain text (escaped by the template), or the note of an omitted output.
    pub text: Option<String>,
    /// Sanitised HTML.
    pub html: Option<String>,
    /// A `data:` URI built here.
    pub image: Option<String>,
}

impl OutputView {
    fn text(kind: &'static str, text: String) -> OutputView {
        OutputView {
            kind: kind.to_string(),
            text: Some(text),
            html: None,
            image: None,
        }
    }
}

/// The view of a notebook file, with the rerun's executed notebook and record if any.
pub fn view(
    path: &str,
    bytes: &[u8],
    executed: Option<&Notebook>,
    record: Option<&NotebookRecord>,
) -> NotebookView {
    let saved = match notebook::parse(bytes) {
        Ok(saved) => saved,
        Err(error) => {
            return NotebookView {
                path: path.to_string(),
                bytes: bytes.len() as u64,
                out_of_order: false,
                rerun: false,
                reproducibility: None,
                cells: Vec::new(),
                error: Some(format!("{error:#}")),
            };
        }
    };
    let mut cells = Vec::new();
    for (index, cell) in saved.cells.iter().enumerate() {
        let lines = || cell.source().lines().map(str::to_string).collect();
        cells.push(match cell {
            Cell::Markdown { .. } => CellView {
                index,
                kind: "markdown".into(),
                html: Some(super::markdown::render(cell.source())),
                lines: Vec::new(),
                execution_count: None,
                outputs: Vec::new(),
                rerun_outputs: None,
                difference: None,
                folded: false,
                status: None,
            },
            Cell::Raw { .. } => CellView {
                index,
                kind: "raw".into(),
                html: None,
                lines: lines(),
                execution_count: None,
                outputs: Vec::new(),
                rerun_outputs: None,
                difference: None,
                folded: false,
                status: None,
            },
            Cell::Code {
                execution_count,
                outputs,
                ..
            } => {
                let rerun = executed.and_then(|e| match e.cells.get(index) {
                    Some(Cell::Code { outputs: new, .. }) => Some(new),
                    _ => None,
                });
                let differs = rerun.is_some_and(|new| {
                    notebook::compare_outputs(outputs, new) != SavedOutput::Same
                        && !(outputs.is_empty() && new.is_empty())
                });
                let cell_record = record.and_then(|r| r.cells.iter().find(|c| c.index == index));
                let difference = match (cell_record, rerun) {
                    (Some(c), _) if c.difference.is_some() => c.difference.clone(),
                    (_, Some(new)) if differs => notebook::classify_outputs(outputs, new),
                    _ => None,
                };
                let folded = difference.as_ref().is_some_and(|d| {
                    matches!(d.kind, DifferenceKind::Display | DifferenceKind::Warnings)
                });
                CellView {
                    index,
                    kind: "code".into(),
                    html: None,
                    lines: lines(),
                    execution_count: *execution_count,
                    outputs: outputs.iter().map(output).collect(),
                    rerun_outputs: rerun
                        .filter(|_| differs)
                        .map(|new| new.iter().map(output).collect()),
                    difference,
                    folded,
                    status: cell_record.map(|c| {
                        serde_json::to_value(c.status)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    }),
                }
            }
        });
    }
    NotebookView {
        path: path.to_string(),
        bytes: bytes.len() as u64,
        out_of_order: notebook::out_of_order(&saved),
        rerun: executed.is_some(),
        reproducibility: record.map(notebook::reproducibility_line),
        cells,
        error: None,
    }
}

/// The markdown cells of a notebook, joined: a submission's report when it has no other.
pub fn markdown_of(bytes: &[u8]) -> Option<String> {
    let saved = notebook::parse(bytes).ok()?;
    let parts: Vec<&str> = saved
        .cells
        .iter()
        .filter(|c| matches!(c, Cell::Markdown { .. }))
        .map(Cell::source)
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// Bundle types in the order they are preferred for showing.
const SHOWN: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "text/html",
    "text/markdown",
    "text/latex",
    "text/plain",
];

fn output(output: &Output) -> OutputView {
    match output {
        Output::Stream { text, .. } => OutputView::text("text", strip_ansi(&text.0)),
        Output::Error {
            ename,
            evalue,
            traceback,
        } => {
            let text = if traceback.is_empty() {
                format!("{ename}: {evalue}")
            } else {
                strip_ansi(&traceback.join("\n"))
            };
            OutputView::text("error", text)
        }
        _ => {
            let data = output.data().cloned().unwrap_or_default();
            for mime in SHOWN {
                let Some(text) = data.get(*mime).and_then(mime_text) else {
                    continue;
                };
                if let Some(view) = rich(mime, &text) {
                    return view;
                }
            }
            let kinds: Vec<&str> = data.keys().map(String::as_str).collect();
            OutputView::text(
                "omitted",
                format!(
                    "output of type {} not shown: review pages run no script and show no widgets",
                    kinds.join(", ")
                ),
            )
        }
    }
}

/// One MIME value as a view, or `None` if it cannot be shown safely (then the next type is
/// tried).
fn rich(mime: &str, text: &str) -> Option<OutputView> {
    use base64::Engine;
    let b64 = || -> Option<Vec<u8>> {
        let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(clean).ok()
    };
    let image = |uri: String| OutputView {
        kind: "image".into(),
        text: None,
        html: None,
        image: Some(uri),
    };
    match mime {
        "image/png" => {
            let png = reencode_png(text)?;
            Some(image(format!(
                "data:image/png;base64,{}",
                crate::base::base64(&png)
            )))
        }
        "image/jpeg" => {
            let bytes = b64()?;
            bytes.starts_with(&[0xff, 0xd8, 0xff]).then(|| {
                image(format!(
                    "data:image/jpeg;base64,{}",
                    crate::base::base64(&bytes)
                ))
            })
        }
        "image/svg+xml" => Some(image(format!(
            "data:image/svg+xml;base64,{}",
            crate::base::base64(text.as_bytes())
        ))),
        "text/html" => Some(OutputView {
            kind: "html".into(),
            text: None,
            html: Some(sanitise_html(text)),
            image: None,
        }),
        "text/markdown" => Some(OutputView {
            kind: "html".into(),
            text: None,
            html: Some(super::markdown::render(text)),
            image: None,
        }),
        _ => Some(OutputView::text("text", strip_ansi(text))),
    }
}

/// A PNG decoded and encoded again: only its pixels survive.
fn reencode_png(base64_text: &str) -> Option<Vec<u8>> {
    let (width, height, rgba) = notebook::decode_png(base64_text)?;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().ok()?;
        writer.write_image_data(&rgba).ok()?;
    }
    Some(out)
}

/// HTML output (a DataFrame's table, say) with everything active removed.
pub fn sanitise_html(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("table", ["border"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .clean(html)
        .to_string()
}

/// Text without ANSI colour codes (tracebacks saved from a coloured terminal).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_output(output: serde_json::Value) -> OutputView {
        let notebook = serde_json::json!({
            "nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "code", "metadata": {}, "source": "x", "execution_count": 1, "outputs": [output]}]
        });
        let view = view("nb.ipynb", notebook.to_string().as_bytes(), None, None);
        view.cells[0].outputs[0].clone()
    }

    #[test]
    fn script_in_html_output_is_dropped_and_tables_kept() {
        let view = one_output(serde_json::json!({
            "output_type": "display_data", "metadata": {},
            "data": {"text/html": "<table><tr><td onclick=\"alert(1)\">1</td></tr></table><script>alert(2)</script><img src=x onerror=alert(3)>",
                     "text/plain": "x"}
        }));
        let html = view.html.unwrap();
        assert!(
            html.contains("<table>") && html.contains("<td>1</td>"),
            "{html}"
        );
        for bad in ["<script", "onclick", "onerror", "alert(2)"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    #[test]
    fn javascript_and_widgets_are_named_not_shown() {
        let view = one_output(serde_json::json!({
            "output_type": "display_data", "metadata": {},
            "data": {"application/javascript": "alert(1)", "application/vnd.jupyter.widget-view+json": {"model_id": "x"}}
        }));
        assert_eq!(view.kind, "omitted");
        let text = view.text.unwrap();
        assert!(
            text.contains("application/javascript") && !text.contains("alert"),
            "{text}"
        );
    }

    #[test]
    fn a_png_that_does_not_decode_is_not_embedded() {
        let view = one_output(serde_json::json!({
            "output_type": "display_data", "metadata": {},
            "data": {"image/png": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "text/plain": "<Figure>"}
        }));
        assert_eq!(
            (view.kind.as_str(), view.text.as_deref()),
            ("text", Some("<Figure>"))
        );
    }
}
