//! The human grade: reviewers, assignment of reviews without conflicts, rubric reviews and
//! their rules (`save`), who may see which review (`visibility`), weighted totals,
//! disagreement flags, the assignment overview and its export (`overview`), the interview
//! sheet (`interview`); the demo's example reviews (`examples`).

pub mod examples;
pub mod interview;
pub mod overview;
pub mod save;
pub mod visibility;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::assignment::Criterion;
pub use crate::store::reviews::{Recommendation, ReviewState};
use crate::store::reviews::{ReviewRow, ReviewerRow};
pub use save::{
    COMMENT_MAX, CommentError, Entry, LEVELS, LineComment, SaveError, Saved, add_line_comment, save,
};
pub use visibility::Visibility;

/// Levels at or beyond this distance between two reviewers of one criterion are flagged.
pub const DISAGREEMENT: u8 = 2;

/// A review's content, parsed from its row.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Criterion id → level 1..=4.
    pub levels: BTreeMap<String, u8>,
    /// Criterion id → comment.
    pub comments: BTreeMap<String, String>,
    pub recommendation: Option<Recommendation>,
}

impl Scores {
    /// The content of a stored review.
    pub fn of(row: &ReviewRow) -> anyhow::Result<Scores> {
        Ok(Scores {
            levels: row.decode_levels()?,
            comments: row.decode_comments()?,
            recommendation: row.recommendation,
        })
    }

    /// What still stops this review from being submitted, one line each.
    pub fn missing(&self, rubric: &[Criterion]) -> Vec<String> {
        let mut missing = Vec::new();
        for criterion in rubric {
            if !self.levels.contains_key(&criterion.id) {
                missing.push(format!("{}: choose a level", criterion.title));
            }
            if self
                .comments
                .get(&criterion.id)
                .is_none_or(|c| c.trim().is_empty())
            {
                missing.push(format!("{}: write a comment", criterion.title));
            }
        }
        if self.recommendation.is_none() {
            missing.push("choose an overall recommendation".into());
        }
        missing
    }

    /// Σ weight × level over the rubric (1.00 to 4.00), once every criterion has a level.
    pub fn weighted_total(&self, rubric: &[Criterion]) -> Option<f64> {
        rubric
            .iter()
            .map(|c| self.levels.get(&c.id).map(|&l| c.weight * f64::from(l)))
            .sum()
    }
}

/// A new reviewer named `name` and the secret token of their link (only its hash is kept).
pub fn new_reviewer(name: &str) -> (ReviewerRow, String) {
    let token = crate::issue::identity::token();
    let row = ReviewerRow {
        id: format!("R-{}", hex::encode(rand::random::<[u8; 4]>())),
        name: name.to_string(),
        token_hash: crate::issue::identity::token_hash(&token),
        added_at: crate::base::now_ms(),
    };
    (row, token)
}

/// Why [`add_reviewer`] refused a name.
#[derive(Debug, thiserror::Error)]
pub enum ReviewerError {
    #[error("the reviewer's name must be 1 to 100 printable characters")]
    Name,
    #[error(
        "there is already a reviewer `{0}`: `takehome reviewer relink \"{0}\"` prints a new link"
    )]
    Taken(String),
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Adds a reviewer named `name` (trimmed: 1 to 100 printable characters, unique) and
/// returns them with the secret token of their link.
pub async fn add_reviewer(
    store: &crate::store::Store,
    name: &str,
) -> Result<(ReviewerRow, String), ReviewerError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ReviewerError::Name);
    }
    if store.reviewer(name).await?.is_some() {
        return Err(ReviewerError::Taken(name.to_string()));
    }
    let (reviewer, token) = new_reviewer(name);
    store.add_reviewer(&reviewer).await?;
    Ok((reviewer, token))
}

/// What [`assign`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assigned {
    /// The new (reviewer id, pseudonym) pairs.
    pub new: Vec<(String, String)>,
    /// Every candidate who handed something in, with the names of all their reviewers.
    pub reviewers: Vec<(String, Vec<String>)>,
}

/// Why [`assign`] assigned nothing. The messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("no assignment `{0}`: see `takehome assignment list`")]
    NoAssignment(String),
    #[error("no candidate of `{0}` has handed anything in yet")]
    NothingHandedIn(String),
    #[error("no reviewers yet: takehome reviewer add NAME")]
    NoReviewers,
    /// Not enough reviewers free of conflicts ([`spread`]'s message).
    #[error("{0}")]
    Short(String),
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Gives every candidate of assignment `assignment_id` who handed something in
/// `per_candidate` reviewers ([`spread`]), keeping existing assignments, and stores the
/// new pairs, all or none.
pub async fn assign(
    workspace: &crate::store::Workspace,
    assignment_id: &str,
    per_candidate: usize,
    now: i64,
) -> Result<Assigned, AssignError> {
    let store = &workspace.store;
    if store.assignment(assignment_id).await?.is_none() {
        return Err(AssignError::NoAssignment(assignment_id.to_string()));
    }
    let candidates: Vec<String> =
        overview::rows(workspace, assignment_id, &Visibility::everything())
            .await?
            .into_iter()
            .filter(|row| row.submission_id.is_some())
            .map(|row| row.pseudonym)
            .collect();
    if candidates.is_empty() {
        return Err(AssignError::NothingHandedIn(assignment_id.to_string()));
    }
    let reviewers: Vec<(String, String)> = store
        .reviewers()
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    if reviewers.is_empty() {
        return Err(AssignError::NoReviewers);
    }
    let existing = store.review_assignments().await?;
    let new = spread(
        &candidates,
        &reviewers,
        &store.conflicts().await?,
        &existing,
        per_candidate,
    )
    .map_err(AssignError::Short)?;
    store.assign_reviews(&new, now).await?;
    let name = |id: &str| {
        reviewers
            .iter()
            .find(|(r, _)| r == id)
            .map_or(id.to_string(), |(_, n)| n.clone())
    };
    let reviewers = candidates
        .into_iter()
        .map(|pseudonym| {
            let names = existing
                .iter()
                .chain(&new)
                .filter(|(_, p)| *p == pseudonym)
                .map(|(r, _)| name(r))
                .collect();
            (pseudonym, names)
        })
        .collect();
    Ok(Assigned { new, reviewers })
}

/// Criteria on which some two of `reviews` differ by [`DISAGREEMENT`] levels or more.
pub fn disagreements(rubric: &[Criterion], reviews: &[Scores]) -> Vec<String> {
    rubric
        .iter()
        .filter(|c| {
            let levels: Vec<u8> = reviews
                .iter()
                .filter_map(|r| r.levels.get(&c.id).copied())
                .collect();
            match (levels.iter().min(), levels.iter().max()) {
                (Some(lo), Some(hi)) => hi - lo >= DISAGREEMENT,
                _ => false,
            }
        })
        .map(|c| c.id.clone())
        .collect()
}

/// Spreads candidates over reviewers so that each candidate has `per_candidate` reviewers,
/// keeping existing assignments, never pairing a reviewer with a candidate they are in
/// conflict with, and giving each new review to the least-loaded reviewer (ties by name).
/// Returns the new pairs, or an error naming every candidate that cannot be covered.
pub fn spread(
    candidates: &[String],
    reviewers: &[(String, String)],
    conflicts: &[(String, String)],
    existing: &[(String, String)],
    per_candidate: usize,
) -> Result<Vec<(String, String)>, String> {
    let conflicted: HashSet<(&str, &str)> = conflicts
        .iter()
        .map(|(r, p)| (r.as_str(), p.as_str()))
        .collect();
    let mut assigned: HashSet<(String, String)> = existing.iter().cloned().collect();
    let mut load: HashMap<&str, usize> = reviewers.iter().map(|(id, _)| (id.as_str(), 0)).collect();
    for (reviewer, _) in existing {
        if let Some(n) = load.get_mut(reviewer.as_str()) {
            *n += 1;
        }
    }
    let mut new = Vec::new();
    let mut short = Vec::new();
    for pseudonym in candidates {
        let have = reviewers
            .iter()
            .filter(|(id, _)| assigned.contains(&(id.clone(), pseudonym.clone())))
            .count();
        for _ in have..per_candidate {
            let pick = reviewers
                .iter()
                .filter(|(id, _)| {
                    !conflicted.contains(&(id.as_str(), pseudonym.as_str()))
                        && !assigned.contains(&(id.clone(), pseudonym.clone()))
                })
                .min_by(|(a, an), (b, bn)| {
                    load[a.as_str()].cmp(&load[b.as_str()]).then(an.cmp(bn))
                });
            match pick {
                Some((id, _)) => {
                    *load
                        .get_mut(id.as_str())
                        .expect("every reviewer has a load") += 1;
                    assigned.insert((id.clone(), pseudonym.clone()));
                    new.push((id.clone(), pseudonym.clone()));
                }
                None => {
                    short.push(pseudonym.clone());
                    break;
                }
            }
        }
    }
    if short.is_empty() {
        Ok(new)
    } else {
        Err(format!(
            "not enough reviewers free of conflicts for {} review(s) each of {}: add reviewers with `takehome reviewer add NAME`, or ask for fewer with --reviewers",
            per_candidate,
            short.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(id: &str, weight: f64) -> Criterion {
        Criterion {
            id: id.into(),
            title: id.to_uppercase(),
            weight,
            levels: Default::default(),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn weighted_total_needs_every_level() {
        let rubric = [criterion("a", 0.25), criterion("b", 0.75)];
        let mut scores = Scores::default();
        scores.levels.insert("a".into(), 4);
        assert_eq!(scores.weighted_total(&rubric), None);
        scores.levels.insert("b".into(), 2);
        assert_eq!(scores.weighted_total(&rubric), Some(2.5));
        assert_eq!(
            scores.missing(&rubric).len(),
            3,
            "{:?}",
            scores.missing(&rubric)
        );
    }

    #[test]
    fn two_levels_apart_is_a_disagreement() {
        let rubric = [criterion("a", 0.5), criterion("b", 0.5)];
        let review = |a: u8, b: u8| Scores {
            levels: [("a".to_string(), a), ("b".to_string(), b)].into(),
            ..Default::default()
        };
        assert_eq!(
            disagreements(&rubric, &[review(1, 2), review(3, 3)]),
            vec!["a".to_string()]
        );
        assert!(disagreements(&rubric, &[review(2, 2), review(3, 3)]).is_empty());
    }

    #[test]
    fn spread_is_even_and_respects_conflicts() {
        let reviewers = pairs(&[("r1", "Ann"), ("r2", "Bo"), ("r3", "Cy")]);
        let candidates: Vec<String> = (1..=6).map(|i| format!("C-{i}")).collect();
        let conflicts = pairs(&[("r1", "C-1"), ("r1", "C-2")]);
        let new = spread(&candidates, &reviewers, &conflicts, &[], 2).unwrap();
        assert_eq!(new.len(), 12);
        for (r, p) in &new {
            assert!(!conflicts.contains(&(r.clone(), p.clone())), "{r} got {p}");
        }
        for (id, _) in &reviewers {
            assert_eq!(new.iter().filter(|(r, _)| r == id).count(), 4, "{id}");
        }
        // Topping up keeps what exists and adds nothing when already covered.
        assert!(
            spread(&candidates, &reviewers, &conflicts, &new, 2)
                .unwrap()
                .is_empty()
        );
        let error = spread(&candidates, &reviewers, &conflicts, &[], 3).unwrap_err();
        assert!(error.contains("C-1, C-2"), "{error}");
    }
}
