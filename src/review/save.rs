//! Saving a review, with the rules of a review in one place: levels within [`LEVELS`] of a
//! criterion of the rubric, comments of at most [`COMMENT_MAX`] characters, a submit only
//! when complete (else it is kept as a draft), and a submitted review final. Line comments
//! ([`add_line_comment`]) sit on a line of one of the submission's code files.

use std::ops::RangeInclusive;

use super::Scores;
use crate::assignment::Criterion;
use crate::store::Store;
use crate::store::reviews::{LineCommentRow, ReviewRow, ReviewState};

/// The levels of a rubric criterion.
pub const LEVELS: RangeInclusive<u8> = 1..=4;

/// Longest comment kept (a rubric comment or a line comment), in characters.
pub const COMMENT_MAX: usize = 20_000;

/// One reviewer's review of one submission version, as entered.
#[derive(Clone, Debug)]
pub struct Entry {
    pub reviewer_id: String,
    pub pseudonym: String,
    pub submission_id: String,
    /// Comments may be blank here; blank ones are dropped.
    pub scores: Scores,
    /// Submit it (when complete) rather than keep it as a draft.
    pub submit: bool,
}

/// What became of a saved review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    Draft,
    Submitted,
    /// A submit of an incomplete review: kept as a draft; what is missing, one line each.
    Incomplete(Vec<String>),
}

/// Why a review was not saved. The messages are shown to the reviewer as they are.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("You have already submitted this review; a submitted review cannot be changed.")]
    Final,
    #[error("`level.{criterion}` = `{level}` is not a level 1 to 4 of a criterion of this rubric.")]
    Level { criterion: String, level: u8 },
    #[error(
        "`comment.{criterion}` is not a criterion of this rubric, or its comment is over {COMMENT_MAX} characters."
    )]
    Comment { criterion: String },
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Checks `entry` against `rubric` and saves it: a draft, or submitted when asked and
/// complete. Nothing is saved when it breaks a rule or the review was already submitted.
pub async fn save(
    store: &Store,
    rubric: &[Criterion],
    entry: Entry,
    now: i64,
) -> Result<Saved, SaveError> {
    let scores = checked(entry.scores, rubric)?;
    let already = store.review(&entry.reviewer_id, &entry.pseudonym).await?;
    if already.is_some_and(|r| r.state == ReviewState::Submitted) {
        return Err(SaveError::Final);
    }
    let missing = scores.missing(rubric);
    let submit = entry.submit && missing.is_empty();
    let row = ReviewRow {
        reviewer_id: entry.reviewer_id,
        pseudonym: entry.pseudonym,
        submission_id: entry.submission_id,
        levels: serde_json::to_string(&scores.levels).map_err(anyhow::Error::from)?,
        comments: serde_json::to_string(&scores.comments).map_err(anyhow::Error::from)?,
        recommendation: scores.recommendation,
        state: if submit {
            ReviewState::Submitted
        } else {
            ReviewState::Draft
        },
        updated_at: now,
        submitted_at: submit.then_some(now),
    };
    // The store refuses to change a submitted review, should one be submitted meanwhile.
    if !store.save_review(&row).await? {
        return Err(SaveError::Final);
    }
    Ok(if submit {
        Saved::Submitted
    } else if entry.submit {
        Saved::Incomplete(missing)
    } else {
        Saved::Draft
    })
}

/// A line comment, as entered.
#[derive(Clone, Debug)]
pub struct LineComment<'a> {
    pub reviewer_id: &'a str,
    pub submission_id: &'a str,
    /// The code file, as listed in the packet.
    pub path: &'a str,
    /// The line number as typed.
    pub line: &'a str,
    pub body: &'a str,
}

/// Why a line comment was not kept. The messages are shown to the reviewer as they are.
#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    #[error("`{0}` is not a code file of this submission.")]
    NotCode(String),
    #[error("The line must be a number from 1 to {lines} (the length of {path}).")]
    Line { path: String, lines: usize },
    #[error("Write a comment of 1 to {COMMENT_MAX} characters.")]
    Body,
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Keeps a line comment on `comment.path`, one of `code` (path, number of lines), at a
/// line within it, of 1 to [`COMMENT_MAX`] characters (trimmed).
pub async fn add_line_comment(
    store: &Store,
    code: &[(&str, usize)],
    comment: LineComment<'_>,
    now: i64,
) -> Result<(), CommentError> {
    let path = comment.path;
    let Some(&(_, lines)) = code.iter().find(|(p, _)| *p == path) else {
        return Err(CommentError::NotCode(path.to_string()));
    };
    let line = comment.line.trim().parse::<i64>().ok();
    let Some(line) = line.filter(|&l| l >= 1 && l as usize <= lines) else {
        return Err(CommentError::Line {
            path: path.to_string(),
            lines,
        });
    };
    let body = comment.body.trim();
    if body.is_empty() || body.chars().count() > COMMENT_MAX {
        return Err(CommentError::Body);
    }
    store
        .add_line_comment(&LineCommentRow {
            id: hex::encode(rand::random::<[u8; 8]>()),
            reviewer_id: comment.reviewer_id.to_string(),
            submission_id: comment.submission_id.to_string(),
            path: path.to_string(),
            line,
            body: body.to_string(),
            created_at: now,
        })
        .await?;
    Ok(())
}

/// `scores` if every level and comment is of a criterion of `rubric`, every level within
/// [`LEVELS`] and every comment within [`COMMENT_MAX`]; blank comments dropped.
fn checked(mut scores: Scores, rubric: &[Criterion]) -> Result<Scores, SaveError> {
    let known = |id: &str| rubric.iter().any(|c| c.id == id);
    for (id, &level) in &scores.levels {
        if !known(id) || !LEVELS.contains(&level) {
            return Err(SaveError::Level {
                criterion: id.clone(),
                level,
            });
        }
    }
    for (id, comment) in &scores.comments {
        if !known(id) || comment.chars().count() > COMMENT_MAX {
            return Err(SaveError::Comment {
                criterion: id.clone(),
            });
        }
    }
    scores.comments.retain(|_, c| !c.trim().is_empty());
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rubric() -> Vec<Criterion> {
        vec![Criterion {
            id: "framing".into(),
            title: "Framing".into(),
            weight: 1.0,
            levels: Default::default(),
        }]
    }

    fn scores(level: u8, comment: &str) -> Scores {
        Scores {
            levels: [("framing".to_string(), level)].into(),
            comments: [("framing".to_string(), comment.to_string())].into(),
            recommendation: None,
        }
    }

    #[test]
    fn levels_outside_the_range_or_the_rubric_are_refused() {
        for level in [0, 5] {
            let error = checked(scores(level, "fine"), &rubric()).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "`level.framing` = `{level}` is not a level 1 to 4 of a criterion of this rubric."
                )
            );
        }
        let mut unknown = scores(2, "fine");
        unknown.levels.insert("nope".into(), 2);
        assert!(matches!(
            checked(unknown, &rubric()),
            Err(SaveError::Level { criterion, .. }) if criterion == "nope"
        ));
    }

    #[test]
    fn an_over_long_comment_is_refused_and_a_blank_one_dropped() {
        let long = "x".repeat(COMMENT_MAX + 1);
        assert!(matches!(
            checked(scores(2, &long), &rubric()),
            Err(SaveError::Comment { .. })
        ));
        let kept = checked(scores(2, "  "), &rubric()).unwrap();
        assert!(kept.comments.is_empty());
        assert_eq!(kept.levels["framing"], 2);
    }
}
