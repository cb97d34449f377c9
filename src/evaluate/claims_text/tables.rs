//! Claims in Markdown tables: a column headed by the metric, or a row that names it.

use crate::report::pieces::Location;
use crate::score::Metric;

use super::vocabulary::{NUMBER, metric_regex, split_of, value_of};
use super::{FoundClaim, Quote, clean_quote, offset};

pub(super) fn is_table_row(line: &str) -> bool {
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
pub(super) fn table_claims(rows: &[&str], metric: Metric, location: &Location) -> Vec<FoundClaim> {
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
