//! The metric names shared by assignments, claims and the scorer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A scoring metric, written in TOML and JSON by its snake_case name (`roc_auc`).
/// Definitions: `assignments/README.md`, section *Metrics*.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Fraction of rows whose predicted label equals the true label.
    Accuracy,
    /// Unweighted mean of per-class F1 over the classes present in the truth.
    MacroF1,
    /// Area under the ROC curve of a score against 0/1 truth, ties counting ½.
    RocAuc,
    /// Mean negative log-likelihood of probabilities of 1, clipped to [1e-15, 1 − 1e-15].
    LogLoss,
    /// Root mean squared error.
    Rmse,
    /// Mean absolute error.
    Mae,
    /// Fraction of positives among the `k` highest scores (ties by id ascending).
    PrecisionAtK,
}

impl Metric {
    /// Every metric, in the order of the format reference.
    pub const ALL: [Metric; 7] = [
        Metric::Accuracy,
        Metric::MacroF1,
        Metric::RocAuc,
        Metric::LogLoss,
        Metric::Rmse,
        Metric::Mae,
        Metric::PrecisionAtK,
    ];

    /// The name used in `assignment.toml`, `submission.toml` claims and reports.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::MacroF1 => "macro_f1",
            Metric::RocAuc => "roc_auc",
            Metric::LogLoss => "log_loss",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::PrecisionAtK => "precision_at_k",
        }
    }

    /// Whether a larger value is a better result (false for losses and errors).
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::LogLoss | Metric::Rmse | Metric::Mae)
    }

    /// Whether the metric takes `k` (only `precision_at_k`).
    pub fn needs_k(self) -> bool {
        self == Metric::PrecisionAtK
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                format!("`{text}` is not a metric: use {}", names.join(", "))
            })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for metric in Metric::ALL {
            assert_eq!(metric.name().parse::<Metric>(), Ok(metric));
            assert_eq!(metric.to_string(), metric.name());
            let json = serde_json::to_string(&metric).unwrap();
            assert_eq!(json, format!("\"{}\"", metric.name()));
            assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), metric);
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = "auc".parse::<Metric>().unwrap_err();
        assert!(
            err.contains("`auc`") && err.contains("roc_auc, log_loss"),
            "{err}"
        );
    }

    #[test]
    fn direction() {
        assert!(Metric::RocAuc.higher_is_better());
        assert!(!Metric::Rmse.higher_is_better());
        assert!(!Metric::LogLoss.higher_is_better());
    }
}
