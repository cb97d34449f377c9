//! Why a prediction file (or a truth file) cannot be scored.

use std::fmt;

use thiserror::Error;

/// Which of the two files a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The assignment's hidden truth file: a problem here is the assignment's fault.
    Truth,
    /// The candidate's prediction file.
    Predictions,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Truth => "truth file",
            Side::Predictions => "prediction file",
        })
    }
}

/// An id that occurs twice, with the lines of its first two occurrences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// The id, trimmed.
    pub id: String,
    /// Line of the first occurrence.
    pub first: usize,
    /// Line of the second occurrence.
    pub again: usize,
}

/// How many ids the messages list before eliding the rest.
pub const SHOWN_IDS: usize = 5;

/// Why scoring failed. Every message names the file, and the line and column where there is one.
/// Lines are 1-based lines of the CSV text (the header is line 1).
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ScoreError {
    /// The file has no header row.
    #[error("the {file} is empty: expected a header row")]
    Empty { file: Side },
    /// The file is not CSV (unclosed quote, wrong field count...).
    #[error("the {file} is not valid CSV: {problem}")]
    Csv {
        file: Side,
        line: Option<usize>,
        problem: String,
    },
    /// A required column is not in the header.
    #[error("the {file} has no column `{column}` (columns found: {})", list(found))]
    MissingColumn {
        file: Side,
        column: String,
        found: Vec<String>,
    },
    /// A required column occurs twice in the header, so which one is meant is unclear.
    #[error("the {file} has the column `{column}` more than once")]
    DuplicateColumn { file: Side, column: String },
    /// The truth file has a header but no rows.
    #[error("the {file} has no rows")]
    NoRows { file: Side },
    /// A scored row has an empty id or value.
    #[error("the {file}, line {line}: `{column}` is empty")]
    EmptyValue {
        file: Side,
        line: usize,
        column: String,
    },
    /// A value that must be a number is not one.
    #[error("the {file}, line {line}: `{column}` is `{text}`, which is not a number")]
    NotANumber {
        file: Side,
        line: usize,
        column: String,
        text: String,
    },
    /// A number is NaN or infinite.
    #[error("the {file}, line {line}: `{column}` is `{text}`, which is not a finite number")]
    NotFinite {
        file: Side,
        line: usize,
        column: String,
        text: String,
    },
    /// A probability (for `log_loss`) is outside [0, 1].
    #[error("the {file}, line {line}: `{column}` is {text}, outside [0, 1] for a probability")]
    NotAProbability {
        file: Side,
        line: usize,
        column: String,
        text: String,
    },
    /// A 0/1 truth value (`roc_auc`, `log_loss`, `precision_at_k`) is something else.
    #[error("the {file}, line {line}: `{column}` is `{text}`, expected 0 or 1")]
    NotBinary {
        file: Side,
        line: usize,
        column: String,
        text: String,
    },
    /// Ids that occur more than once (in the prediction file only ids of the truth count).
    #[error("the {file} has {count} duplicate ids: {}", list_duplicates(first, *count))]
    DuplicateIds {
        file: Side,
        count: usize,
        first: Vec<Duplicate>,
    },
    /// Truth ids absent from the prediction file.
    #[error(
        "the prediction file has {rows} rows and lacks {count} of the {total} truth ids: {}",
        list_ids(first, *count)
    )]
    MissingIds {
        count: usize,
        total: usize,
        rows: usize,
        first: Vec<String>,
    },
    /// `roc_auc` needs both classes among the truth values.
    #[error("roc_auc needs both classes in the truth file, but every row is {class}")]
    SingleClass { class: String },
    /// `precision_at_k` without a `k` of at least 1.
    #[error("precision_at_k needs k of at least 1")]
    NoK,
    /// `k` exceeds the number of scored rows.
    #[error("k = {k} is larger than the {rows} scored rows")]
    KTooLarge { k: u32, rows: usize },
}

impl ScoreError {
    /// The file the problem is in, if it is in one.
    pub fn side(&self) -> Option<Side> {
        use ScoreError::*;
        match self {
            Empty { file }
            | Csv { file, .. }
            | MissingColumn { file, .. }
            | DuplicateColumn { file, .. }
            | NoRows { file }
            | EmptyValue { file, .. }
            | NotANumber { file, .. }
            | NotFinite { file, .. }
            | NotAProbability { file, .. }
            | NotBinary { file, .. }
            | DuplicateIds { file, .. } => Some(*file),
            MissingIds { .. } => Some(Side::Predictions),
            SingleClass { .. } => Some(Side::Truth),
            NoK | KTooLarge { .. } => None,
        }
    }

    /// The 1-based line of the problem, where it has one.
    pub fn line(&self) -> Option<usize> {
        use ScoreError::*;
        match self {
            Csv { line, .. } => *line,
            EmptyValue { line, .. }
            | NotANumber { line, .. }
            | NotFinite { line, .. }
            | NotAProbability { line, .. }
            | NotBinary { line, .. } => Some(*line),
            DuplicateIds { first, .. } => first.first().map(|d| d.again),
            _ => None,
        }
    }
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_ids(ids: &[String], count: usize) -> String {
    let mut text = list(ids);
    if count > ids.len() {
        text.push_str(&format!(" and {} more", count - ids.len()));
    }
    text
}

fn list_duplicates(dups: &[Duplicate], count: usize) -> String {
    let mut text = dups
        .iter()
        .map(|d| format!("`{}` (lines {} and {})", d.id, d.first, d.again))
        .collect::<Vec<_>>()
        .join(", ");
    if count > dups.len() {
        text.push_str(&format!(" and {} more", count - dups.len()));
    }
    text
}
