//! What the lead's page shows of a comparison: the histogram of pair similarities and each
//! side's files with the shared lines marked.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Document, Pair};

/// Pair similarities binned for a histogram: ten bins of 0.1 from 0 to 1, each
/// `(low, high, count)`.
pub fn histogram(pairs: &[Pair]) -> Vec<(f64, f64, usize)> {
    let mut counts = [0usize; 10];
    for p in pairs.iter().filter(|p| !p.public) {
        counts[((p.similarity * 10.0) as usize).min(9)] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| (i as f64 / 10.0, (i + 1) as f64 / 10.0, n))
        .collect()
}

/// One line of a side-by-side view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub number: usize,
    pub text: String,
    /// The shared fragment (1-based, as listed) this line belongs to, if any.
    pub fragment: Option<usize>,
}

/// One file of a side-by-side view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileView {
    pub path: String,
    pub lines: Vec<Line>,
}

/// The files of `doc` with the lines of `pair`'s fragments marked: `left` says which side
/// of the pair `doc` is.
pub fn marked(doc: &Document, pair: &Pair, left: bool) -> Vec<FileView> {
    let mut marks: BTreeMap<(usize, u32), usize> = BTreeMap::new();
    for (n, fragment) in pair.fragments.iter().enumerate() {
        let span = if left {
            &fragment.left
        } else {
            &fragment.right
        };
        for line in span.first_line..=span.last_line {
            marks.entry((span.file_index, line)).or_insert(n + 1);
        }
    }
    doc.files
        .iter()
        .enumerate()
        .map(|(f, file)| FileView {
            path: file.path.clone(),
            lines: file
                .text
                .lines()
                .enumerate()
                .map(|(i, text)| Line {
                    number: i + 1,
                    text: text.to_string(),
                    fragment: marks.get(&(f, i as u32 + 1)).copied(),
                })
                .collect(),
        })
        .collect()
}
