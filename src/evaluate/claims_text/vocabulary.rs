//! What the words and numbers of a report mean: the metric's names, the words that say which
//! data a claim speaks of, and which numbers can be a value of the metric.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::score::Metric;

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

pub(super) fn metric_regex(metric: Metric) -> &'static Regex {
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
pub(super) static OTHER_METRIC: LazyLock<Regex> = LazyLock::new(|| {
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

pub(super) static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
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
/// A number as a value of `metric`, or `None` when it cannot be one.
pub(super) fn value_of(m: &regex::Captures<'_>, metric: Metric, after: &str) -> Option<f64> {
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

/// The split the text speaks of around `lo..hi`: the nearest split word in the sentence.
pub(super) fn split_of(text: &str, lo: usize, hi: usize) -> Split {
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
