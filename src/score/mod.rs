//! Scoring: the metrics of `assignments/README.md` as pure functions of two CSV texts.
//!
//! No I/O: callers read the truth file and the candidate's prediction file and pass their text.

mod csv;
mod error;
mod join;
mod metric;
pub mod metrics;
mod values;

pub use csv::{Csv, CsvError, Row, parse as parse_csv};
pub use error::{Duplicate, SHOWN_IDS, ScoreError, Side};
pub use metric::Metric;
pub use values::Label;

use values::{Cell, Place, read_all};

/// Scores `prediction_csv` against `truth_csv` with `metric`.
///
/// The scored rows are the truth rows. Every truth id (trimmed) must appear exactly once in
/// `id_column` of the predictions; prediction rows with other ids are ignored, as are other
/// columns. `k` is required (≥ 1, ≤ rows) for `precision_at_k` and ignored otherwise.
/// Problems with the file layout (columns, ids) are reported before problems with values; of
/// several bad values, the one on the earliest line is reported.
pub fn score(
    metric: Metric,
    k: Option<u32>,
    truth_csv: &str,
    prediction_csv: &str,
    id_column: &str,
    target_column: &str,
    prediction_column: &str,
) -> Result<f64, ScoreError> {
    let truth_table = join::parse(Side::Truth, truth_csv)?;
    let truth = join::truth(&truth_table, id_column, target_column)?;
    let k = check_k(metric, k, truth.ids.len())?;
    let target = Place {
        file: Side::Truth,
        column: target_column,
    };
    let cells = &truth.targets;
    let predicted = Place {
        file: Side::Predictions,
        column: prediction_column,
    };
    // Check the truth values before touching the predictions: their errors are the assignment's.
    let truth_values = TruthValues::read(metric, target, cells)?;
    let prediction_table = join::parse(Side::Predictions, prediction_csv)?;
    let p = join::predictions(&truth, &prediction_table, id_column, prediction_column)?;
    Ok(match truth_values {
        TruthValues::Labels(y) => {
            let p = read_all(&p, |c| predicted.label(c))?;
            if metric == Metric::Accuracy {
                metrics::accuracy(&y, &p)
            } else {
                metrics::macro_f1(&y, &p)
            }
        }
        TruthValues::Binary(y) => match metric {
            Metric::LogLoss => metrics::log_loss(&y, &read_all(&p, |c| predicted.probability(c))?),
            Metric::PrecisionAtK => {
                metrics::precision_at_k(&y, &read_all(&p, |c| predicted.number(c))?, &truth.ids, k)
            }
            // Single-class truth was rejected by `TruthValues::read`.
            _ => metrics::roc_auc(&y, &read_all(&p, |c| predicted.number(c))?).unwrap_or(f64::NAN),
        },
        TruthValues::Numbers(y) => {
            let p = read_all(&p, |c| predicted.number(c))?;
            if metric == Metric::Rmse {
                metrics::rmse(&y, &p)
            } else {
                metrics::mae(&y, &p)
            }
        }
    })
}

/// Checks a truth file on its own, as [`score`] would read it: columns, ids, values for the
/// metric, both classes for `roc_auc`, `k` for `precision_at_k`. Returns the number of rows.
pub fn check_truth(
    metric: Metric,
    k: Option<u32>,
    truth_csv: &str,
    id_column: &str,
    target_column: &str,
) -> Result<usize, ScoreError> {
    let table = join::parse(Side::Truth, truth_csv)?;
    let truth = join::truth(&table, id_column, target_column)?;
    check_k(metric, k, truth.ids.len())?;
    TruthValues::read(
        metric,
        Place {
            file: Side::Truth,
            column: target_column,
        },
        &truth.targets,
    )?;
    Ok(truth.ids.len())
}

/// `k` as a row count for `precision_at_k` (0 for the other metrics, which ignore it).
fn check_k(metric: Metric, k: Option<u32>, rows: usize) -> Result<usize, ScoreError> {
    if !metric.needs_k() {
        return Ok(0);
    }
    match k {
        None | Some(0) => Err(ScoreError::NoK),
        Some(k) if k as usize > rows => Err(ScoreError::KTooLarge { k, rows }),
        Some(k) => Ok(k as usize),
    }
}

/// The truth's target values, read as the metric needs them.
enum TruthValues {
    Labels(Vec<Label>),
    Binary(Vec<bool>),
    Numbers(Vec<f64>),
}

impl TruthValues {
    fn read(metric: Metric, at: Place, cells: &[Cell]) -> Result<TruthValues, ScoreError> {
        Ok(match metric {
            Metric::Accuracy | Metric::MacroF1 => {
                TruthValues::Labels(read_all(cells, |c| at.label(c))?)
            }
            Metric::RocAuc | Metric::LogLoss | Metric::PrecisionAtK => {
                let y = read_all(cells, |c| at.binary(c))?;
                if metric == Metric::RocAuc && y.iter().all(|&v| v == y[0]) {
                    return Err(ScoreError::SingleClass {
                        class: u8::from(y[0]).to_string(),
                    });
                }
                TruthValues::Binary(y)
            }
            Metric::Rmse | Metric::Mae => TruthValues::Numbers(read_all(cells, |c| at.number(c))?),
        })
    }
}
