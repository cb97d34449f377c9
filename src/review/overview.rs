//! One assignment at a glance: every candidate with run verdict, automatic score, claim
//! status, review progress and weighted total; the same rows feed `takehome export`.

use std::collections::HashMap;

use serde::Serialize;

use super::{Scores, disagreements};
use crate::assignment::Assignment;
use crate::evaluate::Evaluation;
use crate::store::Workspace;

#[derive(Clone, Debug, Serialize)]
pub struct OverviewRow {
    pub pseudonym: String,
    /// The newest submission version, if any.
    pub submission_id: Option<String>,
    pub late: bool,
    pub verdict: Option<String>,
    pub metric: Option<String>,
    pub score: Option<f64>,
    /// `metric: status` of each claim.
    pub claims: Vec<String>,
    pub reviews_submitted: usize,
    pub reviews_assigned: usize,
    /// Mean weighted total of the submitted reviews (1 to 4); `None` while there are none
    /// or while withheld from the viewer.
    pub weighted_total: Option<f64>,
    pub recommendations: Vec<String>,
    /// Criteria on which submitted reviews differ by two levels or more.
    pub disagreements: Vec<String>,
    /// Review results are withheld: the viewer must submit their own review first.
    pub withheld: bool,
}

/// The rows of assignment `assignment_id` (every version), as `viewer` may see them: a
/// reviewer assigned to a candidate sees that candidate's review results only after
/// submitting their own. `None`: the command line, which sees everything.
pub async fn rows(
    workspace: &Workspace,
    assignment_id: &str,
    viewer: Option<&str>,
) -> anyhow::Result<Vec<OverviewRow>> {
    let store = &workspace.store;
    let versions: HashMap<String, Assignment> = store
        .assignments()
        .await?
        .into_iter()
        .filter(|a| a.id == assignment_id)
        .map(|a| Ok((a.content_hash.clone(), serde_json::from_str(&a.manifest)?)))
        .collect::<anyhow::Result<_>>()?;
    let assigned = store.review_assignments().await?;
    let reviews = store.reviews().await?;
    let mut rows = Vec::new();
    for candidate in store.candidates().await? {
        let Some(assignment) = versions.get(&candidate.assignment_hash) else {
            continue;
        };
        let p = &candidate.pseudonym;
        let newest = store.submissions(Some(p)).await?.pop();
        let evaluation: Option<Evaluation> = match &newest {
            Some(s) => match store.runs(&s.id, "evaluate").await?.pop() {
                Some(run) => Some(serde_json::from_str(&run.evaluation)?),
                None => None,
            },
            None => None,
        };
        let submitted: Vec<Scores> = reviews
            .iter()
            .filter(|r| &r.pseudonym == p && r.state == "submitted")
            .map(Scores::of)
            .collect();
        let withheld = viewer.is_some_and(|me| {
            assigned.iter().any(|(r, q)| r == me && q == p)
                && !reviews
                    .iter()
                    .any(|r| r.reviewer_id == me && &r.pseudonym == p && r.state == "submitted")
        });
        let totals: Vec<f64> = submitted
            .iter()
            .filter_map(|s| s.weighted_total(&assignment.rubric))
            .collect();
        rows.push(OverviewRow {
            pseudonym: p.clone(),
            submission_id: newest.as_ref().map(|s| s.id.clone()),
            late: newest.as_ref().is_some_and(|s| s.late),
            verdict: evaluation
                .as_ref()
                .map(|e| e.record.verdict.as_str().to_string()),
            metric: evaluation.as_ref().map(|e| e.score.metric.clone()),
            score: evaluation.as_ref().and_then(|e| e.score.value),
            claims: evaluation
                .as_ref()
                .map(|e| {
                    e.claims
                        .iter()
                        .map(|c| format!("{}: {}", c.metric, c.status.as_str()))
                        .collect()
                })
                .unwrap_or_default(),
            reviews_submitted: submitted.len(),
            reviews_assigned: assigned.iter().filter(|(_, q)| q == p).count(),
            weighted_total: (!withheld && !totals.is_empty())
                .then(|| totals.iter().sum::<f64>() / totals.len() as f64),
            recommendations: if withheld {
                Vec::new()
            } else {
                submitted
                    .iter()
                    .filter_map(|s| s.recommendation.clone())
                    .collect()
            },
            disagreements: if withheld {
                Vec::new()
            } else {
                disagreements(&assignment.rubric, &submitted)
            },
            withheld,
        });
    }
    Ok(rows)
}

/// The rows as CSV, one line per candidate.
pub fn csv(rows: &[OverviewRow]) -> String {
    let mut out = String::from(
        "pseudonym,submission,late,verdict,metric,score,claims,reviews_submitted,reviews_assigned,weighted_total,recommendations,disagreements\n",
    );
    for r in rows {
        let fields = [
            r.pseudonym.clone(),
            r.submission_id.clone().unwrap_or_default(),
            r.late.to_string(),
            r.verdict.clone().unwrap_or_default(),
            r.metric.clone().unwrap_or_default(),
            r.score.map(|v| v.to_string()).unwrap_or_default(),
            r.claims.join("; "),
            r.reviews_submitted.to_string(),
            r.reviews_assigned.to_string(),
            r.weighted_total
                .map(|v| format!("{v:.3}"))
                .unwrap_or_default(),
            r.recommendations.join("; "),
            r.disagreements.join("; "),
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
