//! Claims in prose: a number in the same clause as a name of the metric.

use std::sync::LazyLock;

use regex::Regex;

use crate::report::pieces::Location;
use crate::score::Metric;

use super::vocabulary::{NUMBER, OTHER_METRIC, metric_regex, split_of, value_of};
use super::{FoundClaim, Quote, clean_quote};

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

pub(super) fn prose_claims(
    paragraph: &str,
    metric: Metric,
    location: &Location,
) -> Vec<FoundClaim> {
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
