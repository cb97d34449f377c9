//! Saved outputs against re-executed ones, and one run of a notebook against another: the
//! same text (numbers within the tolerance, addresses ignored), the same pixels.

use serde_json::Value;

use super::format::{Bundle, Cell, Notebook, Output, mime_text};
use crate::base::difference::same_text;
use crate::record::{CellError, NotebookRecord, SavedOutput};

/// The first code cell whose status, execution count, fuel or outputs differ between two
/// runs of a notebook, described; `None` when every cell matches.
pub fn first_diverging_cell(before: &NotebookRecord, after: &NotebookRecord) -> Option<String> {
    for (x, y) in before.cells.iter().zip(&after.cells) {
        let what = if x.index != y.index {
            "the cells are not the same".to_string()
        } else if x.status != y.status {
            format!("status {:?} → {:?}", x.status, y.status)
        } else if x.error != y.error {
            let show = |e: &Option<CellError>| {
                e.as_ref()
                    .map(|e| format!("{}: {}", e.ename, e.evalue))
                    .unwrap_or_else(|| "no error".into())
            };
            format!("error {} → {}", show(&x.error), show(&y.error))
        } else if x.outputs != y.outputs {
            "its outputs differ in kind".to_string()
        } else if x.execution_count != y.execution_count {
            format!(
                "execution count {:?} → {:?}",
                x.execution_count, y.execution_count
            )
        } else if x.fuel_used != y.fuel_used {
            format!("fuel {} → {}", x.fuel_used, y.fuel_used)
        } else {
            continue;
        };
        return Some(format!("cell {} diverged first: {what}", x.index));
    }
    (before.cells.len() != after.cells.len())
        .then(|| format!("{} code cells → {}", before.cells.len(), after.cells.len()))
}

/// The first code cell whose outputs differ between two executed notebooks (same rules as
/// for saved outputs), described; `None` when they all match.
pub fn first_diverging_output(before: &Notebook, after: &Notebook) -> Option<String> {
    let code = |n: &Notebook| -> Vec<(usize, Vec<Output>)> {
        n.cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Cell::Code { outputs, .. } => Some((i, outputs.clone())),
                _ => None,
            })
            .collect()
    };
    let (a, b) = (code(before), code(after));
    for ((index, x), (_, y)) in a.iter().zip(&b) {
        if compare_outputs(x, y) == SavedOutput::Differs || (x.is_empty() != y.is_empty()) {
            let text = |outputs: &[Output]| {
                comparable(outputs)
                    .iter()
                    .map(output_text)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            return Some(format!(
                "cell {index} diverged first:\n{}",
                crate::base::diff::text_diff(&text(x), &text(y))
            ));
        }
    }
    (a.len() != b.len()).then(|| format!("{} code cells → {}", a.len(), b.len()))
}

/// An output as readable text: stream text, an error's name and value, or the plain text
/// (else the MIME types) of a bundle.
pub fn output_text(output: &Output) -> String {
    match output {
        Output::Stream { text, .. } => text.0.clone(),
        Output::Error { ename, evalue, .. } => format!("{ename}: {evalue}\n"),
        _ => {
            let data = output.data().cloned().unwrap_or_default();
            match data.get("text/plain").and_then(mime_text) {
                Some(text) => text + "\n",
                None => format!(
                    "[{}]\n",
                    data.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
}

/// Compares saved outputs with re-executed ones: `none` when nothing was saved.
pub fn compare_outputs(saved: &[Output], rerun: &[Output]) -> SavedOutput {
    if saved.is_empty() {
        return SavedOutput::None;
    }
    let (a, b) = (comparable(saved), comparable(rerun));
    if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| same_output(x, y)) {
        SavedOutput::Same
    } else {
        SavedOutput::Differs
    }
}

/// Outputs with consecutive streams of the same name joined, as a reader sees them.
pub(super) fn comparable(outputs: &[Output]) -> Vec<Output> {
    let mut out: Vec<Output> = Vec::new();
    for output in outputs {
        if let (
            Output::Stream { name, text },
            Some(Output::Stream {
                name: last,
                text: last_text,
            }),
        ) = (output, out.last_mut())
            && name == last
        {
            last_text.0.push_str(&text.0);
            continue;
        }
        out.push(output.clone());
    }
    out
}

pub(super) fn same_output(a: &Output, b: &Output) -> bool {
    match (a, b) {
        (Output::Stream { name: n, text: x }, Output::Stream { name: m, text: y }) => {
            n == m && same_text(&x.0, &y.0)
        }
        (
            Output::Error {
                ename: a,
                evalue: x,
                ..
            },
            Output::Error {
                ename: b,
                evalue: y,
                ..
            },
        ) => a == b && same_text(x, y),
        _ if a.output_type() == b.output_type() => match (a.data(), b.data()) {
            (Some(x), Some(y)) => same_bundle(x, y),
            _ => false,
        },
        _ => false,
    }
}

/// Compares the richest representation both bundles carry: images by pixels, else text.
fn same_bundle(x: &Bundle, y: &Bundle) -> bool {
    for mime in [
        "image/png",
        "image/jpeg",
        "image/svg+xml",
        "text/html",
        "text/markdown",
        "text/latex",
        "text/plain",
    ] {
        let (Some(p), Some(q)) = (x.get(mime), y.get(mime)) else {
            continue;
        };
        return match mime {
            "image/png" => same_png(p, q),
            "image/jpeg" => {
                mime_text(p).map(|s| s.trim().to_string())
                    == mime_text(q).map(|s| s.trim().to_string())
            }
            _ => match (mime_text(p), mime_text(q)) {
                (Some(s), Some(t)) => same_text(&s, &t),
                _ => p == q,
            },
        };
    }
    // Nothing in common that we can read: equal only if the bundles are.
    x == y
}

/// Two base64 PNGs with the same decoded pixels.
fn same_png(p: &Value, q: &Value) -> bool {
    match (
        mime_text(p).and_then(|s| decode_png(&s)),
        mime_text(q).and_then(|s| decode_png(&s)),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A PNG's size and RGBA8 pixels, from base64 (whitespace allowed); `None` if it does not decode.
pub fn decode_png(base64_text: &str) -> Option<(u32, u32, Vec<u8>)> {
    use base64::Engine;
    let clean: String = base64_text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .ok()?;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let info = reader.info();
    if u64::from(info.width) * u64::from(info.height) > 64 << 20 {
        return None;
    }
    let mut buf = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buf).ok()?;
    buf.truncate(frame.buffer_size());
    let rgba = to_rgba(frame.color_type, &buf)?;
    Some((frame.width, frame.height, rgba))
}

fn to_rgba(color: png::ColorType, buf: &[u8]) -> Option<Vec<u8>> {
    use png::ColorType::*;
    Some(match color {
        Rgba => buf.to_vec(),
        Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        Indexed => return None,
    })
}
