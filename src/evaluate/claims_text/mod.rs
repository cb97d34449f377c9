//! Claims read from the report's own text: numbers stated for the assignment's metric, in
//! prose ("our model reaches a ROC AUC of 0.91 on the test set"), in Markdown tables and as
//! percentages ("91% accuracy" is 0.91 for a metric that is a proportion).
//!
//! The input is the report as [`TextPiece`]s (a paragraph of a Markdown or text file, a PDF
//! page, a notebook markdown cell), each with its [`Location`]. Every number found keeps the
//! sentence (or table row) it was read from, where it was, and which data it speaks of
//! ([`Split`]): claims on the validation or training data are told apart from test claims
//! when the sentence says so.
//!
//! Only the assignment's own metric is looked for, by its common names and spellings
//! ([`aliases`]). Reading prose is a heuristic: a number counts when it follows a name of the
//! metric within the same clause ("AUC of 0.91", "AUC on the test set: 0.91"), or directly
//! precedes it ("0.91 ROC AUC", "91% accuracy"); for proportions it must be a decimal in
//! [0, 1] or a percentage up to 100.

mod prose;
mod tables;
#[cfg(test)]
mod tests;
mod vocabulary;

use serde::{Deserialize, Serialize};

use crate::report::pieces::{Location, TextPiece};
use crate::score::Metric;

use prose::prose_claims;
use tables::{is_table_row, table_claims};

pub use vocabulary::{Split, aliases, is_proportion};

/// Where a claim found in the report comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The sentence or table row, as written (whitespace collapsed, at most 300 characters).
    pub text: String,
    pub location: Location,
    pub split: Split,
}

/// A number the report states for the metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoundClaim {
    pub metric: Metric,
    /// As a value of the metric: "91%" is 0.91.
    pub value: f64,
    pub quote: Quote,
}

/// Every claim for `metric` in `pieces`, in reading order.
pub fn extract(pieces: &[TextPiece], metric: Metric) -> Vec<FoundClaim> {
    let mut found = Vec::new();
    for piece in pieces {
        let mut prose = String::new();
        let mut prose_start: Option<usize> = None;
        let lines: Vec<&str> = piece.text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if is_table_row(lines[i]) {
                let start = i;
                while i < lines.len() && is_table_row(lines[i]) {
                    i += 1;
                }
                let location = offset(&piece.location, start);
                found.extend(table_claims(&lines[start..i], metric, &location));
                continue;
            }
            if lines[i].trim().is_empty() {
                if let Some(start) = prose_start.take() {
                    found.extend(prose_claims(
                        &prose,
                        metric,
                        &offset(&piece.location, start),
                    ));
                    prose.clear();
                }
            } else {
                prose_start.get_or_insert(i);
                prose.push_str(lines[i]);
                prose.push('\n');
            }
            i += 1;
        }
        if let Some(start) = prose_start {
            found.extend(prose_claims(
                &prose,
                metric,
                &offset(&piece.location, start),
            ));
        }
    }
    found
}

/// The location `lines` lines into a piece (only line locations move).
fn offset(location: &Location, lines: usize) -> Location {
    let mut moved = location.clone();
    if let Some(line) = moved.line.as_mut() {
        *line += lines;
    }
    moved
}

/// A quote as shown: whitespace collapsed, at most 300 characters.
fn clean_quote(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 300 {
        let cut: String = joined.chars().take(299).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// The claim that decides *verified* or *not reproduced*: among claims on test data, else
/// among claims that do not say, the most favourable one (the highest, or the lowest for an
/// error or a loss). Claims only on validation or training data decide nothing: the harness
/// measures held-out performance.
pub fn decisive(found: &[FoundClaim], metric: Metric) -> Option<usize> {
    let best = |split: Split| {
        found
            .iter()
            .enumerate()
            .filter(|(_, c)| c.metric == metric && c.quote.split == split)
            .max_by(|(_, a), (_, b)| {
                if metric.higher_is_better() {
                    a.value.total_cmp(&b.value)
                } else {
                    b.value.total_cmp(&a.value)
                }
            })
            .map(|(i, _)| i)
    };
    best(Split::Test).or_else(|| best(Split::Unstated))
}
