//! Leniency per reviewer: how far a reviewer's levels sit above (lenient) or below (harsh)
//! the other reviewers' levels for the same candidates and criteria. Pure functions.

use std::collections::BTreeMap;

use serde::Serialize;

/// A mean deviation at least this large (in rubric levels) whose 95% interval excludes
/// zero is flagged.
pub const NOTABLE: f64 = 0.5;

/// One submitted review: who gave it, to whom, and the level per criterion.
#[derive(Clone, Debug, PartialEq)]
pub struct Rating {
    pub reviewer: String,
    pub candidate: String,
    /// Criterion id → level.
    pub levels: BTreeMap<String, f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tendency {
    Harsh,
    Lenient,
}

/// One reviewer's leniency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Leniency {
    pub reviewer: String,
    /// Mean over this reviewer's reviews of (their level − the mean level the other
    /// reviewers gave the same candidate), averaged over the criteria both rated. Positive
    /// is lenient, negative harsh. `None` when no review of theirs shares a candidate.
    pub mean: Option<f64>,
    /// Standard error of that mean (sample standard deviation of the per-review
    /// deviations / √reviews); `None` below two reviews.
    pub standard_error: Option<f64>,
    /// Reviews the mean rests on: those of candidates someone else reviewed too.
    pub reviews: usize,
    /// Criterion-level comparisons behind those reviews.
    pub comparisons: usize,
    /// Set when |mean| ≥ [`NOTABLE`] and mean ± 1.96 standard errors excludes zero.
    pub flag: Option<Tendency>,
}

/// The leniency of every reviewer in `ratings`, by reviewer id. A review's deviation is
/// averaged over its criteria first, so that a reviewer's criteria (rated together, not
/// independently) do not pass for independent evidence.
pub fn leniency(ratings: &[Rating]) -> Vec<Leniency> {
    let mut per_reviewer: BTreeMap<&str, (Vec<f64>, usize)> = BTreeMap::new();
    for rating in ratings {
        let entry = per_reviewer.entry(&rating.reviewer).or_default();
        let mut deviations = Vec::new();
        for (criterion, &level) in &rating.levels {
            let others: Vec<f64> = ratings
                .iter()
                .filter(|o| o.candidate == rating.candidate && o.reviewer != rating.reviewer)
                .filter_map(|o| o.levels.get(criterion).copied())
                .collect();
            if !others.is_empty() {
                deviations.push(level - others.iter().sum::<f64>() / others.len() as f64);
            }
        }
        if !deviations.is_empty() {
            entry.1 += deviations.len();
            entry
                .0
                .push(deviations.iter().sum::<f64>() / deviations.len() as f64);
        }
    }
    per_reviewer
        .into_iter()
        .map(|(reviewer, (reviews, comparisons))| {
            let n = reviews.len();
            let mean = (n > 0).then(|| reviews.iter().sum::<f64>() / n as f64);
            let standard_error = mean.filter(|_| n >= 2).map(|m| {
                let variance =
                    reviews.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (n - 1) as f64;
                (variance / n as f64).sqrt()
            });
            let flag = match (mean, standard_error) {
                (Some(m), Some(se)) if m.abs() >= NOTABLE && m.abs() > 1.96 * se => {
                    Some(if m < 0.0 {
                        Tendency::Harsh
                    } else {
                        Tendency::Lenient
                    })
                }
                _ => None,
            };
            Leniency {
                reviewer: reviewer.to_string(),
                mean,
                standard_error,
                reviews: n,
                comparisons,
                flag,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::RngExt;
    use rand_chacha::ChaCha8Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;

    const CRITERIA: [&str; 5] = ["framing", "literature", "rigour", "honesty", "code"];

    /// Twenty candidates each reviewed by four reviewers: three who see each candidate's
    /// true levels give or take a level now and then, and `harsh`, who sees the same but
    /// always writes one level lower.
    fn cohort(harsh: Option<&str>) -> Vec<Rating> {
        let mut rng = ChaCha8Rng::seed_from_u64(19);
        let mut ratings = Vec::new();
        for c in 0..20 {
            let truth: Vec<i32> = CRITERIA.iter().map(|_| rng.random_range(2..=4)).collect();
            for reviewer in ["ann", "bo", "cy", "dee"] {
                let levels = CRITERIA
                    .iter()
                    .zip(&truth)
                    .map(|(id, &t)| {
                        let noise = if rng.random_range(0..5) == 0 {
                            rng.random_range(-1..=1)
                        } else {
                            0
                        };
                        let shift = if harsh == Some(reviewer) { -1 } else { 0 };
                        (id.to_string(), f64::from((t + noise + shift).clamp(1, 4)))
                    })
                    .collect();
                ratings.push(Rating {
                    reviewer: reviewer.into(),
                    candidate: format!("C-{c}"),
                    levels,
                });
            }
        }
        ratings
    }

    #[test]
    fn a_reviewer_harsher_by_one_level_on_every_criterion_is_detected() {
        let found = leniency(&cohort(Some("cy")));
        let cy = found.iter().find(|l| l.reviewer == "cy").unwrap();
        assert_eq!(cy.flag, Some(Tendency::Harsh), "{found:#?}");
        assert!(cy.mean.unwrap() < -0.75, "{cy:?}");
        assert_eq!((cy.reviews, cy.comparisons), (20, 100));
        // The others are pulled up a third of a level by cy, but not flagged.
        for other in found.iter().filter(|l| l.reviewer != "cy") {
            assert_eq!(other.flag, None, "{other:?}");
            assert!(other.mean.unwrap() > 0.0, "{other:?}");
        }
    }

    #[test]
    fn reviewers_who_differ_only_by_noise_are_not_flagged() {
        for l in leniency(&cohort(None)) {
            assert_eq!(l.flag, None, "{l:?}");
            assert!(l.mean.unwrap().abs() < 0.25, "{l:?}");
            assert!(l.standard_error.unwrap() > 0.0);
        }
    }

    #[test]
    fn a_reviewer_alone_on_every_candidate_has_no_leniency() {
        let only = Rating {
            reviewer: "ann".into(),
            candidate: "C-1".into(),
            levels: [("code".to_string(), 2.0)].into(),
        };
        let found = leniency(&[only]);
        assert_eq!(found[0].mean, None);
        assert_eq!((found[0].reviews, found[0].flag), (0, None));
    }
}
