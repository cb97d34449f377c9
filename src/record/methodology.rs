//! What the methodology tracer saw while the program ran: data leakage and test-set misuse
//! (issue #27). Written as JSON lines by the tracer inside the sandbox
//! (`src/runner/methodology.py`), read after the run into the record's `methodology`.
//!
//! Like the Python prelude's diagnostics, this comes from code running beside the
//! candidate's program in the same interpreter: a hostile program could forge or erase it.
//! A finding is a lead for the interview, not a verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Findings kept per run; a program that makes more keeps its first ones.
pub const MAX_FINDINGS: usize = 50;
/// Longest evidence sentence kept, in characters.
pub const MAX_EVIDENCE: usize = 600;

/// The tracer's report for one run. Present when the program used scikit-learn or pandas
/// (the tracer wrote its summary), absent otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Methodology {
    /// What was found, in order of kind, then file and line.
    pub findings: Vec<Finding>,
    /// scikit-learn and pandas calls made from the candidate's code and recorded.
    #[serde(default)]
    pub calls: u64,
    /// Whether some arrays were too large to fingerprint whole and were fingerprinted on a
    /// regular sample of their columns.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sampled: bool,
}

/// The kinds of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A transformer fitted on rows later scored as held-out rows of a model it feeds.
    Preprocessing,
    /// Evaluation rows identical to rows the evaluated model was trained on.
    Overlap,
    /// One held-out set scored for several models or settings: the test set used to choose.
    MultiTest,
    /// A feature that reproduces the label on the training rows, or the label itself.
    Target,
}

impl FindingKind {
    pub const ALL: [FindingKind; 4] = [
        FindingKind::Preprocessing,
        FindingKind::Overlap,
        FindingKind::MultiTest,
        FindingKind::Target,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Preprocessing => "preprocessing",
            FindingKind::Overlap => "overlap",
            FindingKind::MultiTest => "multi_test",
            FindingKind::Target => "target",
        }
    }

    /// A reviewer's heading for the kind.
    pub fn title(self) -> &'static str {
        match self {
            FindingKind::Preprocessing => "preprocessing fitted on evaluation rows",
            FindingKind::Overlap => "evaluation rows also trained on",
            FindingKind::MultiTest => "test set used to choose",
            FindingKind::Target => "feature reproducing the target",
        }
    }
}

/// How sure the evidence is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The evidence shows it.
    Finding,
    /// The evidence is partial.
    Possible,
}

/// Where in the candidate's code: a file relative to the project's top and a line; for a
/// notebook, the line inside the cell and the cell's index among all cells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<u64>,
}

/// One finding, with what was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The call as the call site names it: `StandardScaler.fit_transform`, `accuracy_score`.
    pub estimator: String,
    /// The leaking call in the candidate's code (innermost frame in the submission).
    pub location: Location,
    /// One sentence saying only what was seen.
    pub evidence: String,
    /// The rows involved, by role (`fitted`, `evaluated`, `leaked`, `trained`, `shared`, ...).
    #[serde(default)]
    pub rows: BTreeMap<String, u64>,
}

impl Finding {
    /// The finding on one line: `overlap (possible) at main.py:31: ...`.
    pub fn summary(&self) -> String {
        let possible = match self.severity {
            Severity::Finding => "",
            Severity::Possible => " (possible)",
        };
        format!(
            "{}{possible} at {}: {}",
            self.kind.as_str(),
            self.location.shown(),
            self.evidence
        )
    }
}

#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    calls: u64,
    #[serde(default)]
    sampled: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Summary { summary: Summary },
    Finding(Finding),
}

impl Methodology {
    /// Reads the tracer's JSON lines (one summary line per program, then its findings; a
    /// sequence of entries writes one group each); lines that are neither are skipped.
    /// `None` when no program wrote a summary.
    pub fn from_report(text: &str) -> Option<Methodology> {
        let mut found: Option<Methodology> = None;
        for line in text.lines() {
            match serde_json::from_str::<Line>(line) {
                Ok(Line::Summary { summary }) => {
                    let m = found.get_or_insert_with(Methodology::default);
                    m.calls += summary.calls;
                    m.sampled |= summary.sampled;
                }
                Ok(Line::Finding(mut finding)) => {
                    let m = found.get_or_insert_with(Methodology::default);
                    if m.findings.len() < MAX_FINDINGS && !m.findings.contains(&finding) {
                        finding.evidence = finding.evidence.chars().take(MAX_EVIDENCE).collect();
                        m.findings.push(finding);
                    }
                }
                Err(_) => {}
            }
        }
        found
    }

    /// The findings of one kind.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }
}

impl Location {
    /// `main.py:14`, or `analysis.ipynb cell 3 line 2`.
    pub fn shown(&self) -> String {
        match self.cell {
            Some(cell) => format!("{} cell {cell} line {}", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }
}

/// One line per finding (kind, severity, where, the call and its rows), for comparing the
/// findings of two runs; none without a methodology.
pub fn lines(methodology: Option<&Methodology>) -> Vec<String> {
    let Some(methodology) = methodology else {
        return Vec::new();
    };
    methodology
        .findings
        .iter()
        .map(|f| {
            let rows: Vec<String> = f.rows.iter().map(|(k, v)| format!("{k} {v}")).collect();
            format!(
                "{} ({:?}) at {}: {} [{}]",
                f.kind.as_str(),
                f.severity,
                f.location.shown(),
                f.estimator,
                rows.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tracers_lines_become_findings_and_other_lines_are_skipped() {
        let text = concat!(
            "{\"summary\": {\"calls\": 6, \"sampled\": false, \"unrecorded\": 0}}\n",
            "not json\n",
            "{\"kind\": \"preprocessing\", \"severity\": \"finding\", \"estimator\": \"StandardScaler.fit\", ",
            "\"location\": {\"file\": \"main.py\", \"line\": 9}, \"evidence\": \"seen\", ",
            "\"rows\": {\"fitted\": 1000, \"evaluated\": 200, \"leaked\": 200}}\n",
            "{\"kind\": \"nonsense\", \"severity\": \"finding\"}\n",
        );
        let m = Methodology::from_report(text).unwrap();
        assert_eq!(m.calls, 6);
        assert_eq!(m.findings.len(), 1);
        assert_eq!(m.findings[0].kind, FindingKind::Preprocessing);
        assert_eq!(m.findings[0].rows["leaked"], 200);
        assert_eq!(m.findings[0].location.shown(), "main.py:9");
    }

    #[test]
    fn a_report_without_a_summary_is_no_methodology() {
        assert_eq!(Methodology::from_report(""), None);
        assert_eq!(Methodology::from_report("{\"error\": \"x\"}\n"), None);
    }
}
