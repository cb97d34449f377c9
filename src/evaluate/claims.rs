//! Claims: the numbers a report states, checked against what the code produced.

use serde::{Deserialize, Serialize};

use super::claims_text::{self, FoundClaim, Quote, Split};
use crate::score::Metric;

/// The verdict on one claim. The strings are part of the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimStatus {
    /// The measured value is within the assignment's tolerance of the claim.
    #[serde(rename = "verified")]
    Verified,
    /// The code produced a different number.
    #[serde(rename = "not reproduced")]
    NotReproduced,
    /// The harness cannot measure it: another metric, or the run produced no score.
    #[serde(rename = "not measurable")]
    NotMeasurable,
    /// Within tolerance of the score of the handed-in model, run by takehome on the public
    /// test inputs: the model reaches it, though its training was not rerun.
    #[serde(rename = "verified by model inference")]
    VerifiedByModel,
    /// Within tolerance of the score of the predictions as handed in: nothing reproduced
    /// them, so this is the most such a claim can be.
    #[serde(rename = "consistent with the handed-in predictions")]
    ConsistentWithHandedIn,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Verified => "verified",
            ClaimStatus::NotReproduced => "not reproduced",
            ClaimStatus::NotMeasurable => "not measurable",
            ClaimStatus::VerifiedByModel => "verified by model inference",
            ClaimStatus::ConsistentWithHandedIn => "consistent with the handed-in predictions",
        }
    }
}

/// One claim, side by side with what was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimCheck {
    pub metric: String,
    pub claimed: f64,
    pub measured: Option<f64>,
    pub tolerance: f64,
    pub status: ClaimStatus,
    /// Why a claim is not measurable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the report states it; `None` for a claim from `[claims]` in `submission.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
}

/// The claims of one submission, checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    /// One per metric claimed: `[claims]` in `submission.toml` wins; else the report's
    /// decisive claim ([`claims_text::decisive`]). These give the submission's claim status.
    pub decisive: Vec<ClaimCheck>,
    /// Every claim found in the report text, each beside the measured value. Claims on
    /// validation or training data are `not measurable` (the harness measures held-out data)
    /// but still show the measured value.
    pub report: Vec<ClaimCheck>,
}

/// Checks `[claims]` from `submission.toml` and the claims `found` in the report's text.
pub fn check_submission(
    manifest: &std::collections::BTreeMap<String, f64>,
    found: &[FoundClaim],
    metric: Metric,
    measured: Option<f64>,
    tolerance: f64,
) -> Checked {
    let mut decisive = check(manifest, metric, measured, tolerance);
    let report: Vec<ClaimCheck> = found
        .iter()
        .map(|claim| {
            let name = claim.metric.name().to_string();
            let mut c = check([(&name, &claim.value)], metric, measured, tolerance)
                .pop()
                .expect("one claim in, one out");
            if matches!(claim.quote.split, Split::Validation | Split::Training)
                && c.status != ClaimStatus::NotMeasurable
            {
                c.status = ClaimStatus::NotMeasurable;
                c.reason = Some(format!(
                    "a claim on {} data; the harness measures held-out data",
                    claim.quote.split.as_str()
                ));
            }
            c.quote = Some(claim.quote.clone());
            c
        })
        .collect();
    if !manifest.contains_key(metric.name())
        && let Some(i) = claims_text::decisive(found, metric)
    {
        decisive.push(report[i].clone());
    }
    Checked { decisive, report }
}

/// Checks every claim against the one measured metric.
pub fn check<'a>(
    claims: impl IntoIterator<Item = (&'a String, &'a f64)>,
    metric: Metric,
    measured: Option<f64>,
    tolerance: f64,
) -> Vec<ClaimCheck> {
    claims
        .into_iter()
        .map(|(name, &claimed)| {
            let (status, reason, measured) = if name != metric.name() {
                (
                    ClaimStatus::NotMeasurable,
                    Some(format!("the harness measures only {}", metric.name())),
                    None,
                )
            } else {
                match measured {
                    None => (
                        ClaimStatus::NotMeasurable,
                        Some("the run produced no score".to_string()),
                        None,
                    ),
                    // A hair of slack so a claim exactly at the tolerance is not lost to rounding.
                    Some(value) if (value - claimed).abs() <= tolerance + 1e-12 => {
                        (ClaimStatus::Verified, None, Some(value))
                    }
                    Some(value) => (ClaimStatus::NotReproduced, None, Some(value)),
                }
            };
            ClaimCheck {
                metric: name.clone(),
                claimed,
                measured,
                tolerance,
                status,
                reason,
                quote: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_verified_within_tolerance_only() {
        let claims = [("roc_auc".to_string(), 0.91), ("accuracy".to_string(), 0.8)];
        let checks = check(
            claims.iter().map(|(k, v)| (k, v)),
            Metric::RocAuc,
            Some(0.84),
            0.02,
        );
        assert_eq!(checks[0].status, ClaimStatus::NotReproduced);
        assert_eq!(checks[0].measured, Some(0.84));
        assert_eq!(checks[1].status, ClaimStatus::NotMeasurable);
        let close = [("roc_auc".to_string(), 0.86)];
        assert_eq!(
            check(
                close.iter().map(|(k, v)| (k, v)),
                Metric::RocAuc,
                Some(0.84),
                0.02
            )[0]
            .status,
            ClaimStatus::Verified
        );
        assert_eq!(
            check(
                close.iter().map(|(k, v)| (k, v)),
                Metric::RocAuc,
                None,
                0.02
            )[0]
            .status,
            ClaimStatus::NotMeasurable
        );
    }

    #[test]
    fn submission_toml_wins_and_report_claims_are_all_shown() {
        let text = "Validation ROC AUC was 0.95. On the test set the ROC AUC is 0.90.";
        let found = claims_text::extract(
            &crate::report::pieces::markdown_pieces("REPORT.md", text),
            Metric::RocAuc,
        );
        let checked = check_submission(
            &Default::default(),
            &found,
            Metric::RocAuc,
            Some(0.89),
            0.02,
        );
        assert_eq!(checked.decisive.len(), 1);
        assert_eq!(checked.decisive[0].claimed, 0.90);
        assert_eq!(checked.decisive[0].status, ClaimStatus::Verified);
        assert_eq!(checked.report.len(), 2);
        assert_eq!(checked.report[0].status, ClaimStatus::NotMeasurable);
        assert_eq!(
            checked.report[0].measured,
            Some(0.89),
            "shown beside the measured value"
        );
        let manifest = [("roc_auc".to_string(), 0.99)].into();
        let checked = check_submission(&manifest, &found, Metric::RocAuc, Some(0.89), 0.02);
        assert_eq!(checked.decisive.len(), 1);
        assert_eq!(checked.decisive[0].claimed, 0.99);
        assert!(checked.decisive[0].quote.is_none());
        assert_eq!(checked.decisive[0].status, ClaimStatus::NotReproduced);
        assert_eq!(checked.report.len(), 2);
    }

    #[test]
    fn statuses_serialise_as_documented() {
        assert_eq!(
            serde_json::to_string(&ClaimStatus::NotReproduced).unwrap(),
            "\"not reproduced\""
        );
        assert_eq!(
            serde_json::to_string(&ClaimStatus::NotMeasurable).unwrap(),
            "\"not measurable\""
        );
        for status in [
            ClaimStatus::Verified,
            ClaimStatus::NotReproduced,
            ClaimStatus::NotMeasurable,
            ClaimStatus::VerifiedByModel,
            ClaimStatus::ConsistentWithHandedIn,
        ] {
            let text = serde_json::to_string(&status).unwrap();
            assert_eq!(text, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<ClaimStatus>(&text).unwrap(), status);
        }
    }
}
