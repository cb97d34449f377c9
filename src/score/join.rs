//! Reading the truth file and matching the prediction file's rows to it by id.

use std::collections::HashMap;

use super::csv::{self, Csv, CsvError};
use super::error::{Duplicate, SHOWN_IDS, ScoreError, Side};
use super::values::Cell;

/// The scored rows: the truth file's rows, ids trimmed, in file order.
pub(crate) struct Truth<'a> {
    pub ids: Vec<&'a str>,
    /// The target cells, aligned with `ids`.
    pub targets: Vec<Cell<'a>>,
}

/// Parses a CSV text, naming the file in errors.
pub(crate) fn parse(file: Side, text: &str) -> Result<Csv, ScoreError> {
    csv::parse(text).map_err(|e| match e {
        CsvError::Empty => ScoreError::Empty { file },
        e => ScoreError::Csv {
            file,
            line: e.line(),
            problem: e.to_string(),
        },
    })
}

/// The index of a column that must occur exactly once in the header.
pub(crate) fn column(csv: &Csv, file: Side, name: &str) -> Result<usize, ScoreError> {
    let mut found = csv
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.trim() == name);
    match (found.next(), found.next()) {
        (Some((i, _)), None) => Ok(i),
        (Some(_), Some(_)) => Err(ScoreError::DuplicateColumn {
            file,
            column: name.into(),
        }),
        (None, _) => Err(ScoreError::MissingColumn {
            file,
            column: name.into(),
            found: csv.header.iter().map(|h| h.trim().to_string()).collect(),
        }),
    }
}

/// The truth's ids and target cells; rejects empty files, empty and duplicate ids.
pub(crate) fn truth<'a>(
    csv: &'a Csv,
    id_column: &str,
    target_column: &str,
) -> Result<Truth<'a>, ScoreError> {
    let file = Side::Truth;
    let id = column(csv, file, id_column)?;
    let target = column(csv, file, target_column)?;
    if csv.rows.is_empty() {
        return Err(ScoreError::NoRows { file });
    }
    let mut ids = Vec::with_capacity(csv.rows.len());
    let mut targets = Vec::with_capacity(csv.rows.len());
    for row in &csv.rows {
        let text = row.fields[id].trim();
        if text.is_empty() {
            return Err(ScoreError::EmptyValue {
                file,
                line: row.line,
                column: id_column.into(),
            });
        }
        ids.push(text);
        targets.push(Cell {
            line: row.line,
            text: &row.fields[target],
        });
    }
    let mut first_line = HashMap::with_capacity(ids.len());
    let mut duplicates = Vec::new();
    for (i, row) in csv.rows.iter().enumerate() {
        if let Some(&first) = first_line.get(ids[i]) {
            duplicates.push(Duplicate {
                id: ids[i].into(),
                first,
                again: row.line,
            });
        } else {
            first_line.insert(ids[i], row.line);
        }
    }
    duplicate_error(file, duplicates)?;
    Ok(Truth { ids, targets })
}

/// The prediction cells for each truth id, in truth order. Rows with other ids are ignored.
pub(crate) fn predictions<'a>(
    truth: &Truth,
    csv: &'a Csv,
    id_column: &str,
    prediction_column: &str,
) -> Result<Vec<Cell<'a>>, ScoreError> {
    let file = Side::Predictions;
    let id = column(csv, file, id_column)?;
    let value = column(csv, file, prediction_column)?;
    let index: HashMap<&str, usize> = truth
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let mut cells: Vec<Option<Cell>> = vec![None; truth.ids.len()];
    let mut duplicates = Vec::new();
    for row in &csv.rows {
        let Some(&i) = index.get(row.fields[id].trim()) else {
            continue;
        };
        match cells[i] {
            Some(first) => duplicates.push(Duplicate {
                id: truth.ids[i].into(),
                first: first.line,
                again: row.line,
            }),
            None => {
                cells[i] = Some(Cell {
                    line: row.line,
                    text: &row.fields[value],
                })
            }
        }
    }
    duplicate_error(file, duplicates)?;
    let missing: Vec<&str> = cells
        .iter()
        .zip(&truth.ids)
        .filter(|(c, _)| c.is_none())
        .map(|(_, id)| *id)
        .collect();
    if !missing.is_empty() {
        return Err(ScoreError::MissingIds {
            count: missing.len(),
            total: truth.ids.len(),
            rows: csv.rows.len(),
            first: missing
                .iter()
                .take(SHOWN_IDS)
                .map(|s| s.to_string())
                .collect(),
        });
    }
    Ok(cells.into_iter().flatten().collect())
}

fn duplicate_error(file: Side, mut duplicates: Vec<Duplicate>) -> Result<(), ScoreError> {
    if duplicates.is_empty() {
        return Ok(());
    }
    duplicates.sort_by_key(|d| d.again);
    let count = duplicates.len();
    duplicates.truncate(SHOWN_IDS);
    Err(ScoreError::DuplicateIds {
        file,
        count,
        first: duplicates,
    })
}
