//! The packet's *Methodology* section: what the tracer saw while the program ran (leakage
//! and test-set misuse), each finding linked to its line in the code listing. Worded as a
//! lead for the interview, not a verdict.

use serde::{Deserialize, Serialize};

use super::CodeFile;
use super::notebook::NotebookView;
use crate::record::{Methodology, Severity};

/// The section as shown; `None` in a packet when the run used neither scikit-learn nor
/// pandas (nothing was traced) or the packet predates the tracer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MethodologySection {
    /// Calls from the candidate's code that were traced.
    pub calls: u64,
    /// Whether large arrays were fingerprinted on a sample of their columns.
    pub sampled: bool,
    pub findings: Vec<FindingView>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FindingView {
    /// `preprocessing`, `overlap`, `multi_test`, `target`.
    pub kind: String,
    /// A reviewer's heading for the kind.
    pub title: String,
    /// `finding` or `possible`.
    pub severity: String,
    pub estimator: String,
    /// `main.py:14`, or `analysis.ipynb cell 3 line 2`.
    pub location: String,
    /// The id of the line in the packet's code listing, when the file is listed.
    pub anchor: Option<String>,
    /// The candidate's line at `location`, as listed, when the file is listed.
    #[serde(default)]
    pub code: Option<String>,
    pub evidence: String,
}

/// The section for a run's methodology, with anchors into `code` and `notebooks` as the
/// packet template numbers them (`file-N-LM`, `notebook-N-cell-C-LM`, N from 1).
pub fn section(
    methodology: Option<&Methodology>,
    code: &[CodeFile],
    notebooks: &[NotebookView],
) -> Option<MethodologySection> {
    let methodology = methodology?;
    let findings = methodology
        .findings
        .iter()
        .map(|f| {
            let line = f.location.line as usize;
            let (anchor, code) = match f.location.cell {
                None => code
                    .iter()
                    .position(|c| c.path == f.location.file)
                    .and_then(|i| {
                        let text = code[i].lines.get(line.checked_sub(1)?)?;
                        Some((format!("file-{}-L{line}", i + 1), text.clone()))
                    })
                    .unzip(),
                Some(cell) => notebooks
                    .iter()
                    .position(|n| n.path == f.location.file)
                    .map(|i| {
                        let text = notebooks[i]
                            .cells
                            .iter()
                            .find(|c| c.index as u64 == cell)
                            .and_then(|c| c.lines.get(line.checked_sub(1)?))
                            .cloned();
                        (format!("notebook-{}-cell-{cell}-L{line}", i + 1), text)
                    })
                    .map_or((None, None), |(a, t)| (Some(a), t)),
            };
            FindingView {
                kind: f.kind.as_str().to_string(),
                title: f.kind.title().to_string(),
                severity: match f.severity {
                    Severity::Finding => "finding",
                    Severity::Possible => "possible",
                }
                .to_string(),
                estimator: f.estimator.clone(),
                location: f.location.shown(),
                anchor,
                code,
                evidence: f.evidence.clone(),
            }
        })
        .collect();
    Some(MethodologySection {
        calls: methodology.calls,
        sampled: methodology.sampled,
        findings,
    })
}
