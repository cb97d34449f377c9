//! The model's predictions beside the handed-in ones, row by row, joined on the id.

use serde::{Deserialize, Serialize};

/// Two numeric predictions closer than this agree.
pub const AGREEMENT_TOLERANCE: f64 = 1e-4;

/// The model's predictions beside the handed-in ones, row by row (joined on the id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// The handed-in predictions file compared.
    pub file: String,
    /// Ids present in both.
    pub compared: usize,
    /// Of those, predictions that agree: numbers within `tolerance`, labels equal.
    pub agreeing: usize,
    /// The largest difference between two numeric predictions; `None` for labels.
    pub max_difference: Option<f64>,
    /// Ids the model predicted that the handed-in file lacks.
    pub missing: usize,
    pub tolerance: f64,
}

impl Agreement {
    /// One readable line: `agrees on 190 of 200 rows (largest difference 0.83)`.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "the model's predictions agree with {} on {} of {} rows",
            self.file, self.agreeing, self.compared
        );
        if let Some(max) = self.max_difference {
            text.push_str(&format!(" (largest difference {max:.6})"));
        }
        if self.missing > 0 {
            text.push_str(&format!(
                "; {} ids are missing from {}",
                self.missing, self.file
            ));
        }
        text
    }
}

/// Compares the model's predictions with the handed-in ones, joined on the id column.
pub fn agreement(
    model_csv: &str,
    handed_in: &str,
    file: &str,
    id_column: &str,
    prediction_column: &str,
) -> Result<Agreement, String> {
    let read = |text: &str, what: &str| -> Result<Vec<(String, String)>, String> {
        let csv = crate::score::parse_csv(text).map_err(|e| format!("{what}: {e}"))?;
        let column = |name: &str| {
            csv.header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| format!("{what} has no column {name}"))
        };
        let (id, value) = (column(id_column)?, column(prediction_column)?);
        Ok(csv
            .rows
            .iter()
            .filter_map(|row| {
                Some((
                    row.fields.get(id)?.trim().to_string(),
                    row.fields.get(value)?.trim().to_string(),
                ))
            })
            .collect())
    };
    let model = read(model_csv, "the model's predictions")?;
    let theirs: std::collections::HashMap<String, String> =
        read(handed_in, file)?.into_iter().collect();
    let (mut compared, mut agreeing, mut missing) = (0, 0, 0);
    let mut max_difference: Option<f64> = None;
    let mut numeric = true;
    for (id, ours) in &model {
        let Some(other) = theirs.get(id) else {
            missing += 1;
            continue;
        };
        compared += 1;
        match (ours.parse::<f64>(), other.parse::<f64>()) {
            (Ok(a), Ok(b)) if numeric => {
                let d = (a - b).abs();
                let d = if d.is_nan() { f64::INFINITY } else { d };
                max_difference = Some(max_difference.map_or(d, |m| m.max(d)));
                if d <= AGREEMENT_TOLERANCE {
                    agreeing += 1;
                }
            }
            _ => {
                numeric = false;
                if ours == other {
                    agreeing += 1;
                }
            }
        }
    }
    Ok(Agreement {
        file: file.to_string(),
        compared,
        agreeing,
        max_difference: if numeric { max_difference } else { None },
        missing,
        tolerance: AGREEMENT_TOLERANCE,
    })
}
