//! Claims: the numbers a report states, checked against what the code produced.

use serde::{Deserialize, Serialize};

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
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Verified => "verified",
            ClaimStatus::NotReproduced => "not reproduced",
            ClaimStatus::NotMeasurable => "not measurable",
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
    fn statuses_serialise_as_documented() {
        assert_eq!(
            serde_json::to_string(&ClaimStatus::NotReproduced).unwrap(),
            "\"not reproduced\""
        );
        assert_eq!(
            serde_json::to_string(&ClaimStatus::NotMeasurable).unwrap(),
            "\"not measurable\""
        );
    }
}
