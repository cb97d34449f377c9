//! One assignment at a glance: every candidate with run verdict, automatic score, claim
//! status, review progress and weighted total; the same rows feed `takehome export`.

use std::collections::HashMap;

use serde::Serialize;

use super::{Recommendation, ReviewState, Scores, Visibility, disagreements};
use crate::assignment::Assignment;
use crate::base::closed::closed_set;
use crate::evaluate::{Evaluation, ScoreBasis};
use crate::record::{FindingKind, Methodology, Severity, Verdict};
use crate::store::{RunPurpose, SubmissionRow, Workspace};

closed_set! {
    /// How the overview is exported.
    #[derive(clap::ValueEnum)]
    pub enum ExportFormat("an export format") {
        /// One line per candidate, spreadsheet-safe.
        Csv = "csv",
        /// The rows as a JSON list, every field typed.
        Json = "json",
    }
}

impl ExportFormat {
    /// The rows in this format.
    pub fn write(self, rows: &[OverviewRow]) -> anyhow::Result<String> {
        Ok(match self {
            ExportFormat::Csv => csv(rows),
            ExportFormat::Json => serde_json::to_string_pretty(rows)?,
        })
    }

    /// The MIME type of a file in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct OverviewRow {
    pub pseudonym: String,
    /// The newest submission version, if any.
    pub submission_id: Option<String>,
    pub late: bool,
    pub verdict: Option<Verdict>,
    pub metric: Option<String>,
    pub score: Option<f64>,
    /// What the score was computed from: `run`, `model inference`, `as handed in, not
    /// reproduced`.
    pub score_basis: Option<ScoreBasis>,
    /// Why the run did not give the score, when the score is not the run's.
    pub not_run_reason: Option<String>,
    /// `metric: status` of each claim.
    pub claims: Vec<String>,
    pub reviews_submitted: usize,
    pub reviews_assigned: usize,
    /// Mean weighted total of the submitted reviews (1 to 4); `None` while there are none
    /// or while withheld from the viewer.
    pub weighted_total: Option<f64>,
    pub recommendations: Vec<Recommendation>,
    /// Criteria on which submitted reviews differ by two levels or more.
    pub disagreements: Vec<String>,
    /// Review results are withheld: the viewer must submit their own review first.
    pub withheld: bool,
    /// Where the methodology tracer saw each kind of leakage or test-set misuse in the
    /// newest evaluation (`main.py:14`, `(possible)` when the evidence is partial).
    pub methodology: MethodologyColumns,
}

/// One list of locations per kind of methodology finding: a column each in the export.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MethodologyColumns {
    pub preprocessing: Vec<String>,
    pub overlap: Vec<String>,
    pub multi_test: Vec<String>,
    pub target: Vec<String>,
}

impl MethodologyColumns {
    fn of(methodology: Option<&Methodology>) -> MethodologyColumns {
        let mut columns = MethodologyColumns::default();
        for finding in methodology
            .map(|m| m.findings.as_slice())
            .unwrap_or_default()
        {
            let possible = match finding.severity {
                Severity::Finding => "",
                Severity::Possible => " (possible)",
            };
            let column = match finding.kind {
                FindingKind::Preprocessing => &mut columns.preprocessing,
                FindingKind::Overlap => &mut columns.overlap,
                FindingKind::MultiTest => &mut columns.multi_test,
                FindingKind::Target => &mut columns.target,
            };
            column.push(format!("{}{possible}", finding.location.shown()));
        }
        columns
    }
}

/// The rows of assignment `assignment_id` (every version), as `visibility` allows: a
/// reviewer assigned to a candidate sees that candidate's review results only after
/// submitting their own.
pub async fn rows(
    workspace: &Workspace,
    assignment_id: &str,
    visibility: &Visibility,
) -> anyhow::Result<Vec<OverviewRow>> {
    let store = &workspace.store;
    let versions: HashMap<String, Assignment> = store
        .assignments()
        .await?
        .into_iter()
        .filter(|a| a.id == assignment_id)
        .map(|a| Ok((a.content_hash.clone(), a.decode_manifest()?)))
        .collect::<anyhow::Result<_>>()?;
    let assigned = store.review_assignments().await?;
    let reviews = store.reviews().await?;
    let mut newest: HashMap<String, SubmissionRow> = store
        .newest_submissions()
        .await?
        .into_iter()
        .map(|s| (s.pseudonym.clone(), s))
        .collect();
    let mut rows = Vec::new();
    for candidate in store.candidates().await? {
        let Some(assignment) = versions.get(&candidate.assignment_hash) else {
            continue;
        };
        let p = &candidate.pseudonym;
        let newest = newest.remove(p);
        let evaluation: Option<Evaluation> = match &newest {
            Some(s) => match store.latest_run(&s.id, RunPurpose::Evaluate).await? {
                Some(run) => Some(run.decode_evaluation()?),
                None => None,
            },
            None => None,
        };
        let submitted = reviews
            .iter()
            .filter(|r| &r.pseudonym == p && r.state == ReviewState::Submitted)
            .count();
        let withheld = !visibility.sees_others(p);
        let seen: Vec<Scores> = visibility
            .submitted(p, &reviews)
            .into_iter()
            .map(Scores::of)
            .collect::<anyhow::Result<_>>()?;
        let totals: Vec<f64> = seen
            .iter()
            .filter_map(|s| s.weighted_total(&assignment.rubric))
            .collect();
        rows.push(OverviewRow {
            pseudonym: p.clone(),
            submission_id: newest.as_ref().map(|s| s.id.clone()),
            late: newest.as_ref().is_some_and(|s| s.late),
            verdict: evaluation.as_ref().map(|e| e.record.verdict),
            metric: evaluation.as_ref().map(|e| e.score.metric.clone()),
            score: evaluation.as_ref().and_then(|e| e.score.score()),
            score_basis: evaluation.as_ref().map(|e| e.score_basis),
            not_run_reason: evaluation.as_ref().and_then(|e| e.not_run_reason.clone()),
            claims: evaluation
                .as_ref()
                .map(|e| {
                    e.claims
                        .iter()
                        .map(|c| format!("{}: {}", c.metric, c.status.as_str()))
                        .collect()
                })
                .unwrap_or_default(),
            reviews_submitted: submitted,
            reviews_assigned: assigned.iter().filter(|(_, q)| q == p).count(),
            weighted_total: (!totals.is_empty())
                .then(|| totals.iter().sum::<f64>() / totals.len() as f64),
            recommendations: seen.iter().filter_map(|s| s.recommendation).collect(),
            disagreements: disagreements(&assignment.rubric, &seen),
            withheld,
            methodology: MethodologyColumns::of(
                evaluation
                    .as_ref()
                    .and_then(|e| e.record.methodology.as_ref()),
            ),
        });
    }
    Ok(rows)
}

/// The rows as CSV, one line per candidate.
pub fn csv(rows: &[OverviewRow]) -> String {
    let mut out = String::from(
        "pseudonym,submission,late,verdict,metric,score,score_basis,not_run_reason,claims,reviews_submitted,reviews_assigned,weighted_total,recommendations,disagreements,methodology_preprocessing,methodology_overlap,methodology_multi_test,methodology_target\n",
    );
    for r in rows {
        let fields = [
            r.pseudonym.clone(),
            r.submission_id.clone().unwrap_or_default(),
            r.late.to_string(),
            r.verdict
                .map(Verdict::as_str)
                .unwrap_or_default()
                .to_string(),
            r.metric.clone().unwrap_or_default(),
            r.score.map(|v| v.to_string()).unwrap_or_default(),
            r.score_basis
                .map(ScoreBasis::as_str)
                .unwrap_or_default()
                .to_string(),
            r.not_run_reason.clone().unwrap_or_default(),
            r.claims.join("; "),
            r.reviews_submitted.to_string(),
            r.reviews_assigned.to_string(),
            r.weighted_total
                .map(|v| format!("{v:.3}"))
                .unwrap_or_default(),
            r.recommendations
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            r.disagreements.join("; "),
            r.methodology.preprocessing.join("; "),
            r.methodology.overlap.join("; "),
            r.methodology.multi_test.join("; "),
            r.methodology.target.join("; "),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Quotes a field when needed, and defuses spreadsheet formulas (a leading = + - @).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Scores binned for a histogram: `bins` equal bins from the lowest to the highest score;
/// each is `(low, high, count)`.
pub fn histogram(scores: &[f64], bins: usize) -> Vec<(f64, f64, usize)> {
    let finite: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite()).collect();
    let (Some(lo), Some(hi)) = (
        finite.iter().copied().reduce(f64::min),
        finite.iter().copied().reduce(f64::max),
    ) else {
        return Vec::new();
    };
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0; bins];
    for v in finite {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, n)| (lo + width * i as f64, lo + width * (i + 1) as f64, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_formats_round_trip_through_their_strings() {
        crate::base::closed::assert_round_trip(ExportFormat::ALL, ExportFormat::as_str);
        use clap::ValueEnum;
        for format in ExportFormat::ALL {
            let flag = format.to_possible_value().unwrap();
            assert_eq!(flag.get_name(), format.as_str());
        }
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-0.5"), "-0.5");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn histogram_counts_every_score_once() {
        let bins = histogram(&[0.1, 0.2, 0.2, 0.9, f64::NAN], 4);
        assert_eq!(bins.len(), 4);
        assert_eq!(bins.iter().map(|b| b.2).sum::<usize>(), 4);
        assert_eq!(bins[3].2, 1);
        assert!(histogram(&[], 4).is_empty());
    }
}
