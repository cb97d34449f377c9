//! The blind-review rule, written once: a reviewer assigned to a candidate sees the other
//! reviewers' work on that candidate (levels, comments, recommendations, totals,
//! disagreements, line comments) only once they have submitted their own review, and a
//! reviewer never sees them for a candidate they have a conflict with. The command line sees
//! everything. Every reviewer page, the overview and the export ask here.

use std::collections::HashSet;

use crate::store::Store;
use crate::store::reviews::{ReviewRow, ReviewState};

/// What one viewer may see of the reviews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visibility {
    /// The reviewer looking, or `None` for the command line.
    viewer: Option<String>,
    /// Candidates whose other reviews the viewer may not see: assigned to the viewer with the
    /// viewer's own review not submitted yet, or (for good) marked as a conflict of theirs.
    blind: HashSet<String>,
}

impl Visibility {
    /// Everything: the command line (`takehome export`, `takehome assign`).
    pub fn everything() -> Visibility {
        Visibility {
            viewer: None,
            blind: HashSet::new(),
        }
    }

    /// What reviewer `reviewer_id` may see, given every (reviewer id, pseudonym) review
    /// assignment and conflict, and every review.
    pub fn of_reviewer(
        reviewer_id: &str,
        assigned: &[(String, String)],
        conflicts: &[(String, String)],
        reviews: &[ReviewRow],
    ) -> Visibility {
        let submitted: HashSet<&str> = reviews
            .iter()
            .filter(|r| r.reviewer_id == reviewer_id && r.state == ReviewState::Submitted)
            .map(|r| r.pseudonym.as_str())
            .collect();
        let blind = assigned
            .iter()
            .filter(|(r, p)| r == reviewer_id && !submitted.contains(p.as_str()))
            .chain(conflicts.iter().filter(|(r, _)| r == reviewer_id))
            .map(|(_, p)| p.clone())
            .collect();
        Visibility {
            viewer: Some(reviewer_id.to_string()),
            blind,
        }
    }

    /// [`Visibility::of_reviewer`], reading the assignments and reviews from `store`.
    pub async fn load(store: &Store, reviewer_id: &str) -> anyhow::Result<Visibility> {
        Ok(Visibility::of_reviewer(
            reviewer_id,
            &store.review_assignments().await?,
            &store.conflicts().await?,
            &store.reviews().await?,
        ))
    }

    /// Whether the viewer may see other reviewers' work on candidate `pseudonym`.
    pub fn sees_others(&self, pseudonym: &str) -> bool {
        !self.blind.contains(pseudonym)
    }

    /// The submitted reviews of `pseudonym` the viewer may see: all of them, or none while
    /// the viewer's own is outstanding.
    pub fn submitted<'a>(&self, pseudonym: &str, reviews: &'a [ReviewRow]) -> Vec<&'a ReviewRow> {
        if !self.sees_others(pseudonym) {
            return Vec::new();
        }
        reviews
            .iter()
            .filter(|r| r.pseudonym == pseudonym && r.state == ReviewState::Submitted)
            .collect()
    }

    /// Whether the viewer may see a line comment by reviewer `author` on `pseudonym`'s
    /// submission: their own always, others' once the rule allows.
    pub fn sees_comment(&self, pseudonym: &str, author: &str) -> bool {
        self.sees_others(pseudonym) || self.viewer.as_deref() == Some(author)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(reviewer: &str, pseudonym: &str, state: ReviewState) -> ReviewRow {
        ReviewRow {
            reviewer_id: reviewer.into(),
            pseudonym: pseudonym.into(),
            submission_id: format!("{pseudonym}/1"),
            levels: "{}".into(),
            comments: "{}".into(),
            recommendation: None,
            state,
            updated_at: 0,
            submitted_at: None,
        }
    }

    fn assigned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(r, p)| (r.to_string(), p.to_string()))
            .collect()
    }

    #[test]
    fn an_assigned_reviewer_sees_others_only_after_submitting() {
        let assigned = assigned(&[("ann", "C-1"), ("bo", "C-1")]);
        let mut reviews = vec![
            review("bo", "C-1", ReviewState::Submitted),
            review("ann", "C-1", ReviewState::Draft),
        ];
        let ann = Visibility::of_reviewer("ann", &assigned, &[], &reviews);
        assert!(!ann.sees_others("C-1"));
        assert!(ann.submitted("C-1", &reviews).is_empty());
        assert!(ann.sees_comment("C-1", "ann") && !ann.sees_comment("C-1", "bo"));

        reviews[1].state = ReviewState::Submitted;
        let ann = Visibility::of_reviewer("ann", &assigned, &[], &reviews);
        assert!(ann.sees_others("C-1"));
        assert_eq!(ann.submitted("C-1", &reviews).len(), 2);
        assert!(ann.sees_comment("C-1", "bo"));
    }

    #[test]
    fn a_reviewer_never_sees_the_reviews_of_a_candidate_they_have_a_conflict_with() {
        let assigned = assigned(&[("bo", "C-1"), ("cy", "C-2")]);
        let conflicts = vec![("cy".to_string(), "C-1".to_string())];
        let reviews = vec![
            review("bo", "C-1", ReviewState::Submitted),
            review("cy", "C-2", ReviewState::Submitted),
        ];
        let cy = Visibility::of_reviewer("cy", &assigned, &conflicts, &reviews);
        assert!(!cy.sees_others("C-1"));
        assert!(cy.submitted("C-1", &reviews).is_empty());
        assert!(cy.sees_others("C-2"));
    }

    #[test]
    fn a_reviewer_not_assigned_and_the_command_line_see_everything() {
        let assigned = assigned(&[("bo", "C-1")]);
        let reviews = vec![
            review("bo", "C-1", ReviewState::Submitted),
            review("cy", "C-1", ReviewState::Draft),
        ];
        let ann = Visibility::of_reviewer("ann", &assigned, &[], &reviews);
        assert!(ann.sees_others("C-1"));
        assert_eq!(ann.submitted("C-1", &reviews).len(), 1, "drafts never show");
        let all = Visibility::everything();
        assert_eq!(all.submitted("C-1", &reviews).len(), 1);
        assert!(all.sees_comment("C-1", "bo"));
    }
}
