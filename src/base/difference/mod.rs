//! What kind of difference there is between a saved output and a rerun's, and how large:
//! only warning lines, the same values laid out otherwise, the same text with other
//! numbers, or other content. Text only; notebook outputs and files are taken apart by the
//! stages that own them.

mod frames;
mod tokens;
mod warnings;

use serde::{Deserialize, Serialize};

pub use tokens::{Token, agree_as_printed, close, same_text, tokens};
pub use warnings::{is_version_warning, is_warning_line, split_warnings, warning_category};

/// The kinds of difference, from the least to the most a reviewer should care about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// Only warning or log lines differ.
    Warnings,
    /// The same values laid out differently: wrapping, truncation, column order, float
    /// formatting within the printed precision.
    Display,
    /// The same text with other numbers.
    Numbers,
    /// Anything else: rows, text, errors, figures.
    Content,
}

impl DifferenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DifferenceKind::Warnings => "warnings",
            DifferenceKind::Display => "display",
            DifferenceKind::Numbers => "numbers",
            DifferenceKind::Content => "content",
        }
    }
}

/// A likely reason for a difference, given only where the run shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Random numbers were drawn with no seed, so the candidate's own run cannot be repeated.
    UnseededRandomness,
    /// The saved output shows another library version's behaviour or warning.
    LibraryVersion,
    /// The saved execution counts show the cell ran in another order.
    OutOfOrder,
    /// An input file differs from what the saved outputs describe.
    Data,
}

impl Cause {
    /// As a reader says it: `unseeded randomness`.
    pub fn words(self) -> &'static str {
        match self {
            Cause::UnseededRandomness => "unseeded randomness",
            Cause::LibraryVersion => "library version",
            Cause::OutOfOrder => "out of order",
            Cause::Data => "data",
        }
    }
}

/// One difference between a saved output and a rerun.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub kind: DifferenceKind,
    /// One line a reviewer can read.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// For `numbers`: how far apart the numbers are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<NumberChange>,
    /// The only outputs that differ are figures (whose pixels change with fonts and library
    /// versions as well as with data).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_figures: bool,
}

// Numbers are finite or NaN-free by construction (see `number_change`), so equality is total.
impl Eq for Difference {}

/// How the numbers of two texts of the same shape differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumberChange {
    /// How many numbers differ.
    pub count: usize,
    pub largest_absolute: f64,
    pub largest_relative: f64,
    /// The first differing value with its context: `accuracy 0.77 → 0.76`.
    pub first: String,
}

/// How `rerun` differs from `saved`; `None` when they are the same text (numbers within the
/// tolerance, memory addresses ignored).
pub fn classify_text(saved: &str, rerun: &str) -> Option<Difference> {
    if same_text(saved, rerun) {
        return None;
    }
    let (saved_rest, saved_warnings) = split_warnings(saved);
    let (rerun_rest, rerun_warnings) = split_warnings(rerun);
    if same_text(&saved_rest, &rerun_rest) {
        return Some(warnings_only(&saved_warnings, &rerun_warnings));
    }
    let mut difference = classify_body(&saved_rest, &rerun_rest);
    if difference.kind != DifferenceKind::Display && printed_by_another_version(saved, rerun) {
        difference.cause = Some(Cause::LibraryVersion);
    }
    if !same_text(&saved_warnings.join("\n"), &rerun_warnings.join("\n")) {
        difference.summary.push_str("; warning lines differ too");
    }
    Some(difference)
}

/// Reprs that changed between library versions: text only the older version prints, or
/// (when the first is empty) text only the newer one prints.
const VERSION_MARKS: &[(&str, &str)] = &[
    // pandas 2.0 names `value_counts()` results `count` / `proportion`.
    ("", "Name: count, dtype"),
    ("", "Name: proportion, dtype"),
    // pandas 3.0 prints its classes by their public path.
    ("<class 'pandas.core.", ""),
];

/// Whether one side shows a repr another library version prints otherwise.
fn printed_by_another_version(saved: &str, rerun: &str) -> bool {
    let only = |mark: &str, one: &str, other: &str| {
        !mark.is_empty() && one.contains(mark) && !other.contains(mark)
    };
    VERSION_MARKS.iter().any(|(old, new)| {
        let marks = |older: &str, newer: &str| only(old, older, newer) || only(new, newer, older);
        marks(saved, rerun) || marks(rerun, saved)
    })
}

/// A difference of warning lines alone, said in a line.
pub fn warnings_only(saved: &[String], rerun: &[String]) -> Difference {
    let categories = |lines: &[String]| {
        let mut names: Vec<&str> = lines.iter().filter_map(|l| warning_category(l)).collect();
        names.dedup();
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", names.join(", "))
        }
    };
    let count = |lines: &[String]| lines.iter().filter(|l| is_warning_line(l)).count();
    Difference {
        kind: DifferenceKind::Warnings,
        summary: format!(
            "only warning lines differ: {} saved{}, {} in the rerun{}",
            count(saved),
            categories(saved),
            count(rerun),
            categories(rerun)
        ),
        cause: None,
        numbers: None,
        only_figures: false,
    }
}

/// Display, numbers or content, for texts whose warning lines are set aside.
fn classify_body(saved: &str, rerun: &str) -> Difference {
    if let Some(summary) = same_values(saved, rerun) {
        return Difference {
            kind: DifferenceKind::Display,
            summary,
            cause: None,
            numbers: None,
            only_figures: false,
        };
    }
    if let Some(change) = number_change(&short_class_names(saved), &short_class_names(rerun)) {
        let relative = change.largest_relative * 100.0;
        return Difference {
            kind: DifferenceKind::Numbers,
            summary: format!(
                "{} number{} differ{}, the largest by {} ({relative:.2}%); first: {}",
                change.count,
                if change.count == 1 { "" } else { "s" },
                if change.count == 1 { "s" } else { "" },
                short_number(change.largest_absolute),
                change.first
            ),
            cause: None,
            numbers: Some(change),
            only_figures: false,
        };
    }
    Difference {
        kind: DifferenceKind::Content,
        summary: content_summary(saved, rerun),
        cause: None,
        numbers: None,
        only_figures: false,
    }
}

/// `<class 'pandas.core.frame.DataFrame'>` as `<class 'DataFrame'>`: where a library prints
/// a class from is not content.
fn short_class_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<class '") {
        let start = at + "<class '".len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if let Some(end) = rest.find("'>") {
            let name = &rest[..end];
            out.push_str(name.rsplit('.').next().unwrap_or(name));
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Why two texts print the same values, if they do.
fn same_values(saved: &str, rerun: &str) -> Option<String> {
    let (a, b) = (
        frames::layout_free_words(saved),
        frames::layout_free_words(rerun),
    );
    if a != b && frames::without_type_names(&a) == frames::without_type_names(&b) {
        return Some(
            "the same values; only how types are named differs (a `dtype=` shown or left implicit, a class's module path)"
                .into(),
        );
    }
    if a.is_empty() && b.is_empty() {
        return Some("only whitespace differs".into());
    }
    if a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || agree_as_printed(x, y))
    {
        return Some(if a == b {
            "the same values, laid out differently (wrapping, spacing)".into()
        } else {
            "the same values, printed at another precision".into()
        });
    }
    let (mut sorted_a, mut sorted_b) = (a.clone(), b.clone());
    sorted_a.sort();
    sorted_b.sort();
    if sorted_a == sorted_b {
        return Some("the same values, laid out differently (wrapping or column order)".into());
    }
    let truncated = |short: &[String], long: &[String], text: &str| {
        frames::is_truncated(text)
            && !short.is_empty()
            && short.len() < long.len()
            && short.first() == long.first()
            && short.last() == long.last()
            && is_sub_multiset(short, long)
    };
    if truncated(&b, &a, rerun) {
        return Some(format!(
            "the same table, with columns or rows elided in the rerun ({} of {} values shown)",
            b.len(),
            a.len()
        ));
    }
    if truncated(&a, &b, saved) {
        return Some(format!(
            "the same table, with columns or rows elided in the saved output ({} of {} values shown)",
            a.len(),
            b.len()
        ));
    }
    None
}

fn is_sub_multiset(short: &[String], long: &[String]) -> bool {
    let mut counts = std::collections::HashMap::<&str, i64>::new();
    for w in long {
        *counts.entry(w).or_default() += 1;
    }
    short.iter().all(|w| {
        let n = counts.entry(w).or_default();
        *n -= 1;
        *n >= 0
    })
}

/// How the numbers differ when both texts have the same words around them (whitespace
/// aside); `None` when they do not, or when no number differs.
fn number_change(saved: &str, rerun: &str) -> Option<NumberChange> {
    let (a, b) = (tokens(saved), tokens(rerun));
    if a.len() != b.len() {
        return None;
    }
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut change: Option<NumberChange> = None;
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        match (x, y) {
            (Token::Text(p), Token::Text(q)) if squeeze(p) == squeeze(q) => {}
            (
                Token::Number {
                    value: m,
                    literal: l,
                },
                Token::Number {
                    value: n,
                    literal: k,
                },
            ) => {
                if close(*m, *n) || agree_as_printed(l, k) {
                    continue;
                }
                let absolute = (m - n).abs();
                let relative = absolute / m.abs().max(n.abs());
                let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
                let entry = change.get_or_insert_with(|| NumberChange {
                    count: 0,
                    largest_absolute: 0.0,
                    largest_relative: 0.0,
                    first: format!("{}{l} → {k}", context(&a[..i])),
                });
                entry.count += 1;
                entry.largest_absolute = entry.largest_absolute.max(finite(absolute));
                entry.largest_relative = entry.largest_relative.max(finite(relative));
            }
            _ => return None,
        }
    }
    change
}

/// The word a number follows (`accuracy ` for `accuracy: 0.77`), for the first change.
fn context(before: &[Token]) -> String {
    for token in before.iter().rev() {
        if let Token::Text(text) = token {
            let word = text
                .split_whitespace()
                .rev()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_'))
                .find(|w| w.chars().any(char::is_alphabetic));
            if let Some(word) = word {
                return format!("{word} ");
            }
        }
    }
    String::new()
}

fn short_number(value: f64) -> String {
    if value != 0.0 && (value.abs() < 1e-3 || value.abs() >= 1e6) {
        format!("{value:.3e}")
    } else {
        format!("{}", (value * 1e4).round() / 1e4)
    }
}

/// The first line that differs, and how many lines each side has that the other lacks.
fn content_summary(saved: &str, rerun: &str) -> String {
    // Lines that differ only in spacing are the same line here: the first quoted change is
    // one a reader can see.
    let squeeze = |text: &str| {
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let (saved, rerun) = (squeeze(saved), squeeze(rerun));
    let diff = similar::TextDiff::from_lines(&saved, &rerun);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(change.value().trim_end().to_string()),
            similar::ChangeTag::Insert => added.push(change.value().trim_end().to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    let clip = |s: Option<&String>| {
        let s = s.map(String::as_str).unwrap_or("(nothing)");
        let mut clipped: String = s.trim().chars().take(60).collect();
        if s.trim().chars().count() > 60 {
            clipped.push('…');
        }
        clipped
    };
    format!(
        "{} line{} only in the saved output, {} only in the rerun; first: `{}` → `{}`",
        removed.len(),
        if removed.len() == 1 { "" } else { "s" },
        added.len(),
        clip(removed.first()),
        clip(added.first())
    )
}

#[cfg(test)]
mod tests;
