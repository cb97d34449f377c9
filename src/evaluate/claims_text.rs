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

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::score::Metric;

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

/// Which data a claim speaks of, as its sentence says. The strings are part of the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Held-out, test or out-of-sample data: what the harness measures.
    Test,
    /// Validation, development or cross-validation data.
    Validation,
    /// The training data.
    Training,
    /// The sentence does not say.
    Unstated,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Test => "test",
            Split::Validation => "validation",
            Split::Training => "training",
            Split::Unstated => "unstated",
        }
    }
}

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

/// The spellings of `metric` looked for, as a regular expression (case-insensitive).
pub fn aliases(metric: Metric) -> &'static str {
    match metric {
        Metric::RocAuc => {
            r"roc[\s_-]*auc|auc[\s_-]*\(?roc\)?|au[\s-]?roc|area\s+under\s+the\s+(?:roc\s+|receiver[\s-]+operating[\s-]+characteristic\s+(?:\(roc\)\s+)?)?curve|\bauc"
        }
        Metric::Accuracy => r"\baccuracy|\bacc\b",
        Metric::MacroF1 => {
            r"macro[\s_-]*(?:averaged\s+)?f[\s-]?1(?:[\s_-]*score)?|f[\s-]?1[\s_-]*(?:score\s*)?\(?macro\)?|\bf[\s-]?1(?:[\s_-]*score)?"
        }
        Metric::LogLoss => {
            r"log[\s_-]*loss|logarithmic\s+loss|(?:binary\s+)?cross[\s-]*entropy|negative\s+log[\s-]*likelihood|\bnll\b"
        }
        Metric::Rmse => r"\brmse\b|root[\s-]+mean[\s-]+squared?[\s-]+error",
        Metric::Mae => r"\bmae\b|mean\s+absolute\s+error",
        Metric::PrecisionAtK => r"precision[\s_]*(?:@|at)[\s_]*(?:k|\d+)|\bp@(?:k|\d+)",
    }
}

/// Whether values of `metric` are proportions, so that a percentage can state them.
pub fn is_proportion(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::RocAuc | Metric::Accuracy | Metric::MacroF1 | Metric::PrecisionAtK
    )
}

fn metric_regex(metric: Metric) -> &'static Regex {
    static ALL: LazyLock<Vec<(Metric, Regex)>> = LazyLock::new(|| {
        Metric::ALL
            .iter()
            .map(|&m| {
                let re = Regex::new(&format!("(?i)(?:{})", aliases(m))).expect("alias regex");
                (m, re)
            })
            .collect()
    });
    &ALL.iter()
        .find(|(m, _)| *m == metric)
        .expect("every metric")
        .1
}

/// Any metric name at all (ours and others), where a clause about our metric stops.
static OTHER_METRIC: LazyLock<Regex> = LazyLock::new(|| {
    let mut all: Vec<&str> = Metric::ALL.iter().map(|&m| aliases(m)).collect();
    all.extend([
        r"\bprecision\b",
        r"\brecall\b",
        r"\br2\b|r²|r\^2|r-squared",
        r"\bmse\b",
        r"\bloss\b",
        r"\bbaseline\b",
        r"\bcompared\b|\bversus\b|\bvs\.?|\bwhereas\b|\bwhile\b",
    ]);
    Regex::new(&format!("(?i)(?:{})", all.join("|"))).expect("metric names regex")
});

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d+(?:\.\d+)?|\.\d+)(\s*(?:%|percent\b|per\s+cent\b))?").expect("number")
});

/// Units after which a number is a count, not a score.
static COUNT_UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:\s*|-)(?:fold|folds|trees|epochs|features|samples|rows|estimators|iterations|seeds|runs|splits|k\b|x\b|th\b|st\b|nd\b|rd\b)")
        .expect("count units")
});

static SPLITS: LazyLock<[(Split, Regex); 3]> = LazyLock::new(|| {
    [
        (
            Split::Test,
            Regex::new(r"(?i)\b(?:test(?:ing)?|held[\s-]?out|hold[\s-]?out|out[\s-]of[\s-]sample|unseen|private\s+leaderboard)\b")
                .expect("test"),
        ),
        (
            Split::Validation,
            Regex::new(r"(?i)\b(?:validation|validating|valid\s+set|val|dev(?:elopment)?\s+set|cross[\s-]?validat\w*|cv|out[\s-]of[\s-]fold|oof|\d+[\s-]fold|k[\s-]fold)\b")
                .expect("validation"),
        ),
        (
            Split::Training,
            Regex::new(r"(?i)\b(?:train(?:ing)?[\s-]+(?:set|data|split|score|accuracy|auc|performance)|in[\s-]sample|on\s+(?:the\s+)?train(?:ing)?)\b|^train(?:ing)?$")
                .expect("training"),
        ),
    ]
});

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

fn is_table_row(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.len() > 1 && t[1..].contains('|')
}

fn cells(row: &str) -> Vec<String> {
    let t = row.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_separator(row: &[String]) -> bool {
    row.iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

/// Claims in a Markdown table: a column headed by the metric (one claim per row), or a row
/// whose first cell names it (one claim per numeric cell, its column header telling the split).
fn table_claims(rows: &[&str], metric: Metric, location: &Location) -> Vec<FoundClaim> {
    let re = metric_regex(metric);
    let header = cells(rows[0]);
    let mut found = Vec::new();
    let columns: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| re.is_match(h))
        .map(|(i, _)| i)
        .collect();
    for (n, row) in rows.iter().enumerate().skip(1) {
        let cells = cells(row);
        if is_separator(&cells) {
            continue;
        }
        let quote_text = format!("{} / {}", header.join(" | "), cells.join(" | "));
        let row_location = offset(location, n);
        for &c in &columns {
            let Some(cell) = cells.get(c) else { continue };
            if let Some(value) = cell_value(cell, metric) {
                let context = format!("{} {}", header[c], cells.join(" "));
                found.push(claim(metric, value, &quote_text, &context, &row_location));
            }
        }
        if cells.first().is_some_and(|first| re.is_match(first)) && !columns.contains(&0) {
            for (c, cell) in cells.iter().enumerate().skip(1) {
                if let Some(value) = cell_value(cell, metric) {
                    let context = format!("{} {}", header.get(c).map_or("", |h| h), cells[0]);
                    found.push(claim(metric, value, &quote_text, &context, &row_location));
                }
            }
        }
    }
    found
}

fn claim(
    metric: Metric,
    value: f64,
    quote: &str,
    context: &str,
    location: &Location,
) -> FoundClaim {
    FoundClaim {
        metric,
        value,
        quote: Quote {
            text: clean_quote(quote),
            location: location.clone(),
            split: split_of(context, 0, context.len()),
        },
    }
}

/// The value of a table cell that holds just a number (perhaps bold, perhaps `± sd`).
fn cell_value(cell: &str, metric: Metric) -> Option<f64> {
    let cell = cell
        .trim()
        .trim_matches(|c| c == '*' || c == '_' || c == '`');
    let m = NUMBER.captures(cell)?;
    let whole = m.get(0)?;
    let rest = cell[whole.end()..].trim();
    if whole.start() != 0 || !(rest.is_empty() || rest.starts_with('±') || rest.starts_with('(')) {
        return None;
    }
    value_of(&m, metric, "")
}

/// A number as a value of `metric`, or `None` when it cannot be one.
fn value_of(m: &regex::Captures<'_>, metric: Metric, after: &str) -> Option<f64> {
    let digits = m.get(1)?.as_str();
    let number: f64 = digits.parse().ok()?;
    let percent = m.get(2).is_some();
    if COUNT_UNIT.is_match(after) {
        return None;
    }
    if is_proportion(metric) {
        if percent {
            // Rounded so that "91.2%" is exactly the double nearest 0.912.
            (number <= 100.0).then_some((number * 1e10).round() / 1e12)
        } else {
            (digits.contains('.') && number <= 1.0).then_some(number)
        }
    } else {
        (!percent).then_some(number)
    }
}

/// Sentences of a paragraph: split after `.`, `!` or `?` followed by whitespace.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?')
            && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace())
            // "e.g. ", "i.e. ", "vs. " are not ends.
            && !text[start..=i].to_ascii_lowercase().ends_with("e.g.")
            && !text[start..=i].to_ascii_lowercase().ends_with("i.e.")
            && !text[start..=i].to_ascii_lowercase().ends_with("vs.")
        {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

fn prose_claims(paragraph: &str, metric: Metric, location: &Location) -> Vec<FoundClaim> {
    let re = metric_regex(metric);
    let mut found = Vec::new();
    for sentence in sentences(paragraph) {
        for mention in re.find_iter(sentence) {
            let before = &sentence[..mention.start()];
            let lower_before = before.to_ascii_lowercase();
            if [
                "balanced ",
                "weighted ",
                "micro ",
                "micro-",
                "top-5 ",
                "top-1 ",
            ]
            .iter()
            .any(|q| lower_before.ends_with(q))
            {
                continue;
            }
            let Some((value, span)) = number_after(sentence, mention.end(), metric)
                .or_else(|| number_before(sentence, mention.start(), metric))
            else {
                continue;
            };
            let (lo, hi) = (span.0.min(mention.start()), span.1.max(mention.end()));
            found.push(FoundClaim {
                metric,
                value,
                quote: Quote {
                    text: clean_quote(sentence),
                    location: location.clone(),
                    split: split_of(sentence, lo, hi),
                },
            });
        }
    }
    found
}

/// The first number that can be the metric's value after a mention, within its clause.
fn number_after(sentence: &str, from: usize, metric: Metric) -> Option<(f64, (usize, usize))> {
    let rest = &sentence[from..];
    // The clause ends at `,` `;` or another metric's name, and after 80 characters.
    let mut end = rest.len().min(80);
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    if let Some(i) = rest[..end].find([',', ';']) {
        end = i;
    }
    if let Some(other) = OTHER_METRIC.find(&rest[..end]) {
        end = other.start();
    }
    let window = &rest[..end];
    for m in NUMBER.captures_iter(window) {
        let whole = m.get(0)?;
        // Part of a word ("F1", "top5", "2x") or a version ("v1.2") is no value.
        if window[..whole.start()]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '@' || c == '_')
        {
            continue;
        }
        if let Some(value) = value_of(&m, metric, &window[whole.end()..]) {
            return Some((value, (from + whole.start(), from + whole.end())));
        }
    }
    None
}

/// A number just before a mention: "0.91 ROC AUC", "91% accuracy", "0.91 test AUC".
fn number_before(sentence: &str, to: usize, metric: Metric) -> Option<(f64, (usize, usize))> {
    static BEFORE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(\d+(?:\.\d+)?|\.\d+)(\s*(?:%|percent\b|per\s+cent\b))?\s*(?:(?:test|validation|val|training|train|held-out|holdout|mean|average|overall|cv)\s+)?$")
            .expect("before")
    });
    let before = &sentence[..to];
    let m = BEFORE.captures(before)?;
    let whole = m.get(0)?;
    if before[..whole.start()]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric())
    {
        return None;
    }
    value_of(&m, metric, "").map(|v| (v, (whole.start(), whole.end())))
}

/// The split the text speaks of around `lo..hi`: the nearest split word in the sentence.
fn split_of(text: &str, lo: usize, hi: usize) -> Split {
    let mut best: Option<(usize, Split)> = None;
    for (split, re) in SPLITS.iter() {
        for m in re.find_iter(text) {
            let distance = if m.end() <= lo {
                lo - m.end()
            } else if m.start() >= hi {
                m.start() - hi
            } else {
                0
            };
            if best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, *split));
            }
        }
    }
    best.map_or(Split::Unstated, |(_, s)| s)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, metric: Metric) -> Vec<(f64, Split)> {
        extract(&markdown_pieces("REPORT.md", text), metric)
            .into_iter()
            .map(|c| (c.value, c.quote.split))
            .collect()
    }

    #[test]
    fn metric_names_and_spellings_in_prose_are_found() {
        let u = Split::Unstated;
        for (text, metric, expected) in [
            (
                "Our model reaches a ROC AUC of 0.91.",
                Metric::RocAuc,
                vec![(0.91, u)],
            ),
            ("The AUC-ROC is 0.874.", Metric::RocAuc, vec![(0.874, u)]),
            ("AUROC: 0.80", Metric::RocAuc, vec![(0.80, u)]),
            ("roc_auc = .77", Metric::RocAuc, vec![(0.77, u)]),
            (
                "The area under the curve was 0.9 overall.",
                Metric::RocAuc,
                vec![(0.9, u)],
            ),
            ("We obtain 0.91 ROC AUC.", Metric::RocAuc, vec![(0.91, u)]),
            (
                "Macro F1 of 0.66 is modest.",
                Metric::MacroF1,
                vec![(0.66, u)],
            ),
            ("The F1-score reached 0.7.", Metric::MacroF1, vec![(0.7, u)]),
            ("RMSE is 12.5 dollars.", Metric::Rmse, vec![(12.5, u)]),
            (
                "A root mean squared error of 3 remains.",
                Metric::Rmse,
                vec![(3.0, u)],
            ),
            (
                "The mean absolute error: 0.41",
                Metric::Mae,
                vec![(0.41, u)],
            ),
            ("Log-loss fell to 0.35.", Metric::LogLoss, vec![(0.35, u)]),
            (
                "Precision@100 is 0.42.",
                Metric::PrecisionAtK,
                vec![(0.42, u)],
            ),
        ] {
            assert_eq!(found(text, metric), expected, "{text}");
        }
    }

    #[test]
    fn percentages_are_proportions_only_for_proportion_metrics() {
        let u = Split::Unstated;
        assert_eq!(
            found("Accuracy reached 91%.", Metric::Accuracy),
            [(0.91, u)]
        );
        assert_eq!(
            found("We get 88.5 percent accuracy.", Metric::Accuracy),
            [(0.885, u)]
        );
        assert_eq!(found("An AUC of 91.2%.", Metric::RocAuc), [(0.912, u)]);
        assert!(found("RMSE dropped 15% against the baseline.", Metric::Rmse).is_empty());
        assert!(found("An accuracy of 130% is impossible.", Metric::Accuracy).is_empty());
    }

    #[test]
    fn counts_other_metrics_and_integers_are_not_claims() {
        for (text, metric) in [
            ("We report ROC AUC over 5-fold splits.", Metric::RocAuc),
            ("AUC with 100 trees.", Metric::RocAuc),
            ("Balanced accuracy was 0.7.", Metric::Accuracy),
            (
                "The AUC, precision 0.5 and recall 0.4 were checked.",
                Metric::RocAuc,
            ),
            (
                "Precision was 0.8 while accuracy mattered less.",
                Metric::Accuracy,
            ),
            ("Accuracy is a poor metric here.", Metric::Accuracy),
            ("The accuracy in 2024 was", Metric::Accuracy),
        ] {
            assert!(
                found(text, metric).is_empty(),
                "{text}: {:?}",
                found(text, metric)
            );
        }
        assert_eq!(
            found(
                "ROC AUC of 0.91, compared with 0.85 for the baseline.",
                Metric::RocAuc
            ),
            [(0.91, Split::Unstated)]
        );
    }

    #[test]
    fn the_sentence_tells_validation_training_and_test_claims_apart() {
        let text = "On the validation set, ROC AUC was 0.93. The held-out test set gives an AUC of 0.88.\n\
                    Training AUC: 0.99 shows some overfitting. With 5-fold cross-validation we saw AUC 0.9.";
        assert_eq!(
            found(text, Metric::RocAuc),
            [
                (0.93, Split::Validation),
                (0.88, Split::Test),
                (0.99, Split::Training),
                (0.9, Split::Validation),
            ]
        );
    }

    #[test]
    fn markdown_tables_give_a_claim_per_row_or_column() {
        let by_column = "| Model | Split | ROC AUC |\n|---|---|---:|\n| GBM | validation | 0.93 |\n| GBM | test | **0.91** |\n";
        assert_eq!(
            found(by_column, Metric::RocAuc),
            [(0.93, Split::Validation), (0.91, Split::Test)]
        );
        let by_row = "| Metric | Validation | Test |\n| --- | --- | --- |\n| Accuracy | 92% | 0.9 |\n| F1 | 0.5 | 0.4 |\n";
        assert_eq!(
            found(by_row, Metric::Accuracy),
            [(0.92, Split::Validation), (0.9, Split::Test)]
        );
    }

    #[test]
    fn claims_keep_their_sentence_and_line() {
        let text = "# Results\n\nSome words first.\nThen a sentence says the ROC AUC\nis 0.91 on test data. Another one.\n\n| m | auc |\n|-|-|\n| a | 0.5 |\n";
        let claims = extract(&markdown_pieces("REPORT.md", text), Metric::RocAuc);
        assert_eq!(claims.len(), 2, "{claims:?}");
        assert_eq!(
            claims[0].quote.text,
            "Then a sentence says the ROC AUC is 0.91 on test data."
        );
        assert_eq!(claims[0].quote.location.to_string(), "REPORT.md:3");
        assert_eq!(claims[1].quote.location.to_string(), "REPORT.md:9");
        assert_eq!(claims[1].quote.text, "m | auc / a | 0.5");
        assert!(
            found("```\nAUC = 0.99\n```\n", Metric::RocAuc).is_empty(),
            "code is no claim"
        );
    }

    #[test]
    fn the_test_claim_decides_else_the_most_favourable() {
        let claims = |pairs: &[(f64, Split)]| -> Vec<FoundClaim> {
            pairs
                .iter()
                .map(|&(value, split)| FoundClaim {
                    metric: Metric::RocAuc,
                    value,
                    quote: Quote {
                        text: String::new(),
                        location: Location::default(),
                        split,
                    },
                })
                .collect()
        };
        let c = claims(&[
            (0.95, Split::Validation),
            (0.88, Split::Test),
            (0.9, Split::Unstated),
        ]);
        assert_eq!(decisive(&c, Metric::RocAuc), Some(1));
        let c = claims(&[(0.85, Split::Unstated), (0.9, Split::Unstated)]);
        assert_eq!(decisive(&c, Metric::RocAuc), Some(1));
        let c = claims(&[(0.99, Split::Training), (0.95, Split::Validation)]);
        assert_eq!(decisive(&c, Metric::RocAuc), None);
        let mut c = claims(&[(3.0, Split::Unstated), (2.0, Split::Unstated)]);
        c.iter_mut().for_each(|x| x.metric = Metric::Rmse);
        assert_eq!(decisive(&c, Metric::Rmse), Some(1), "the lowest error");
    }
}
