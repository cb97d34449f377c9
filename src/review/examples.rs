//! Example reviews that `takehome demo` records, so that a new user's lead page shows
//! agreement and leniency: made up by the demo from each run's outcome, labelled as such.

use super::{Recommendation, Scores};
use crate::assignment::Criterion;

/// The comment every example review carries, so no one mistakes it for a person's.
pub const LABEL: &str = "Example review made by `takehome demo`, not by a person.";

/// A level 1 to 4 for a submission, from its run: clean and its claims verified is strong,
/// a clean run with claims that do not hold is middling, a run that failed is weak.
pub fn base_level(run_ok: bool, claims_hold: bool) -> u8 {
    match (run_ok, claims_hold) {
        (true, true) => 3,
        (true, false) => 2,
        (false, _) => 1,
    }
}

/// The example review of example reviewer `reviewer` (0, 1, ...) for the candidate at
/// `candidate` (0, 1, ...) whose run gave `base`: the base level, moved by one on some
/// criteria so reviewers differ a little (reviewer 1 more often down, so it reads as a
/// little harsher), between 1 and 4.
pub fn scores(rubric: &[Criterion], base: u8, reviewer: usize, candidate: usize) -> Scores {
    let mut out = Scores::default();
    for (i, criterion) in rubric.iter().enumerate() {
        let turn = (i + 2 * candidate + reviewer) % 4;
        let shift: i8 = match (reviewer % 2, turn) {
            (0, 0) => 1,
            (1, 0) | (1, 1) => -1,
            _ => 0,
        };
        let level = (base as i8 + shift).clamp(1, 4) as u8;
        out.levels.insert(criterion.id.clone(), level);
        out.comments.insert(criterion.id.clone(), LABEL.to_string());
    }
    let mean = out.levels.values().map(|&l| f64::from(l)).sum::<f64>() / rubric.len().max(1) as f64;
    out.recommendation = Some(match mean {
        m if m >= 3.5 => Recommendation::StrongYes,
        m if m >= 2.5 => Recommendation::Yes,
        m if m >= 1.5 => Recommendation::No,
        _ => Recommendation::StrongNo,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rubric(n: usize) -> Vec<Criterion> {
        (0..n)
            .map(|i| Criterion {
                id: format!("c{i}"),
                title: format!("C{i}"),
                weight: 1.0 / n as f64,
                levels: Default::default(),
            })
            .collect()
    }

    #[test]
    fn example_reviewers_differ_a_little_and_stay_within_the_levels() {
        let rubric = rubric(5);
        for base in 1..=4 {
            for candidate in 0..3 {
                let a = scores(&rubric, base, 0, candidate);
                let b = scores(&rubric, base, 1, candidate);
                assert!(a.missing(&rubric).is_empty() && b.missing(&rubric).is_empty());
                for (x, y) in a.levels.values().zip(b.levels.values()) {
                    assert!((1..=4).contains(x) && (1..=4).contains(y));
                    assert!(x.abs_diff(*y) <= 2);
                }
            }
        }
        let (a, b) = (scores(&rubric, 3, 0, 0), scores(&rubric, 3, 1, 0));
        assert_ne!(a.levels, b.levels, "the two reviewers agree exactly");
        let sum = |s: &Scores| s.levels.values().map(|&l| u32::from(l)).sum::<u32>();
        assert!(sum(&b) < sum(&a), "the second reviewer is not the harsher");
    }
}
