//! Reviewers, conflicts, review assignments, rubric reviews, line comments and settings.

use sqlx::{AssertSqlSafe, Row};

use super::Store;
use super::closed::{self, closed_set};

closed_set! {
    /// How far a review is.
    pub enum ReviewState("a review state") {
        /// Saved; the reviewer may still change it.
        Draft = "draft",
        /// Handed in; never changed again.
        Submitted = "submitted",
    }
}

closed_set! {
    /// A reviewer's overall recommendation, worst first.
    pub enum Recommendation("a recommendation") {
        StrongNo = "strong no",
        No = "no",
        Yes = "yes",
        StrongYes = "strong yes",
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ReviewerRow {
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub added_at: i64,
}

/// One reviewer's review of one candidate: a draft until submitted, then fixed.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ReviewRow {
    pub reviewer_id: String,
    pub pseudonym: String,
    /// The submission version reviewed.
    pub submission_id: String,
    /// JSON object: criterion id → level 1..4.
    pub levels: String,
    /// JSON object: criterion id → comment.
    pub comments: String,
    pub recommendation: Option<Recommendation>,
    pub state: ReviewState,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LineCommentRow {
    pub id: String,
    pub reviewer_id: String,
    pub submission_id: String,
    pub path: String,
    pub line: i64,
    pub body: String,
    pub created_at: i64,
}

const REVIEWER_COLUMNS: &str = "id, name, token_hash, added_at";
const REVIEW_COLUMNS: &str = "reviewer_id, pseudonym, submission_id, levels, comments, recommendation, state, updated_at, submitted_at";

impl Store {
    pub async fn add_reviewer(&self, row: &ReviewerRow) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO reviewers (id, name, token_hash, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.token_hash)
        .bind(row.added_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn reviewers(&self) -> anyhow::Result<Vec<ReviewerRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {REVIEWER_COLUMNS} FROM reviewers ORDER BY name"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(reviewer_from).collect()
    }

    /// Every reviewer's name by id, for pages that name the authors of reviews and comments.
    pub async fn reviewer_names(
        &self,
    ) -> anyhow::Result<std::collections::HashMap<String, String>> {
        Ok(self
            .reviewers()
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect())
    }

    /// A reviewer by id or exact name.
    pub async fn reviewer(&self, id_or_name: &str) -> anyhow::Result<Option<ReviewerRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {REVIEWER_COLUMNS} FROM reviewers WHERE id = $1 OR name = $1"
        )))
        .bind(id_or_name)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(reviewer_from).transpose()
    }

    pub async fn reviewer_by_token(&self, token_hash: &str) -> anyhow::Result<Option<ReviewerRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {REVIEWER_COLUMNS} FROM reviewers WHERE token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(reviewer_from).transpose()
    }

    /// Replaces a reviewer's token (a lost or leaked link).
    pub async fn set_reviewer_token(&self, id: &str, token_hash: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE reviewers SET token_hash = $1 WHERE id = $2")
            .bind(token_hash)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn add_conflict(&self, reviewer_id: &str, pseudonym: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO conflicts (reviewer_id, pseudonym) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(reviewer_id)
        .bind(pseudonym)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every (reviewer id, pseudonym) conflict.
    pub async fn conflicts(&self) -> anyhow::Result<Vec<(String, String)>> {
        pairs(self, "SELECT reviewer_id, pseudonym FROM conflicts").await
    }

    /// Assigns reviewers to candidates, all or none; pairs already assigned are kept.
    pub async fn assign_reviews(&self, pairs: &[(String, String)], now: i64) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        for (reviewer_id, pseudonym) in pairs {
            sqlx::query(
                "INSERT INTO review_assignments (reviewer_id, pseudonym, assigned_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(reviewer_id)
            .bind(pseudonym)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every (reviewer id, pseudonym) review assignment.
    pub async fn review_assignments(&self) -> anyhow::Result<Vec<(String, String)>> {
        pairs(
            self,
            "SELECT reviewer_id, pseudonym FROM review_assignments ORDER BY assigned_at, pseudonym",
        )
        .await
    }

    pub async fn is_assigned(&self, reviewer_id: &str, pseudonym: &str) -> anyhow::Result<bool> {
        Ok(sqlx::query(
            "SELECT pseudonym FROM review_assignments WHERE reviewer_id = $1 AND pseudonym = $2",
        )
        .bind(reviewer_id)
        .bind(pseudonym)
        .fetch_optional(self.pool())
        .await?
        .is_some())
    }

    /// Saves a draft or submits a review. A submitted review is never changed: returns
    /// false (and changes nothing) if this reviewer already submitted one.
    pub async fn save_review(&self, row: &ReviewRow) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO reviews (reviewer_id, pseudonym, submission_id, levels, comments, recommendation, state, updated_at, submitted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (reviewer_id, pseudonym) DO UPDATE SET submission_id = excluded.submission_id, \
             levels = excluded.levels, comments = excluded.comments, recommendation = excluded.recommendation, \
             state = excluded.state, updated_at = excluded.updated_at, submitted_at = excluded.submitted_at \
             WHERE reviews.state = 'draft'",
        )
        .bind(&row.reviewer_id)
        .bind(&row.pseudonym)
        .bind(&row.submission_id)
        .bind(&row.levels)
        .bind(&row.comments)
        .bind(row.recommendation.map(Recommendation::as_str))
        .bind(row.state.as_str())
        .bind(row.updated_at)
        .bind(row.submitted_at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn review(
        &self,
        reviewer_id: &str,
        pseudonym: &str,
    ) -> anyhow::Result<Option<ReviewRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews WHERE reviewer_id = $1 AND pseudonym = $2"
        )))
        .bind(reviewer_id)
        .bind(pseudonym)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(review_from).transpose()
    }

    /// Every review (drafts included: callers decide who may see what).
    pub async fn reviews(&self) -> anyhow::Result<Vec<ReviewRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY pseudonym, reviewer_id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(review_from).collect()
    }

    pub async fn add_line_comment(&self, row: &LineCommentRow) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO line_comments (id, reviewer_id, submission_id, path, line, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.id)
        .bind(&row.reviewer_id)
        .bind(&row.submission_id)
        .bind(&row.path)
        .bind(row.line)
        .bind(&row.body)
        .bind(row.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn line_comments(&self, submission_id: &str) -> anyhow::Result<Vec<LineCommentRow>> {
        let rows = sqlx::query(
            "SELECT id, reviewer_id, submission_id, path, line, body, created_at FROM line_comments \
             WHERE submission_id = $1 ORDER BY path, line, created_at",
        )
        .bind(submission_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LineCommentRow {
                    id: r.try_get("id")?,
                    reviewer_id: r.try_get("reviewer_id")?,
                    submission_id: r.try_get("submission_id")?,
                    path: r.try_get("path")?,
                    line: r.try_get("line")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// A setting, created with `make()` the first time it is asked for (by whichever
    /// process asks first; every process then reads the same value).
    pub async fn setting_or(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
    ) -> anyhow::Result<String> {
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(make())
            .execute(self.pool())
            .await?;
        Ok(sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_one(self.pool())
            .await?
            .try_get("value")?)
    }
}

async fn pairs(store: &Store, sql: &'static str) -> anyhow::Result<Vec<(String, String)>> {
    let rows = sqlx::query(sql).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

fn reviewer_from(row: &sqlx::any::AnyRow) -> anyhow::Result<ReviewerRow> {
    Ok(ReviewerRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        token_hash: row.try_get("token_hash")?,
        added_at: row.try_get("added_at")?,
    })
}

fn review_from(row: &sqlx::any::AnyRow) -> anyhow::Result<ReviewRow> {
    let what = format!(
        "the review of {} by {}",
        row.try_get::<String, _>("pseudonym")?,
        row.try_get::<String, _>("reviewer_id")?
    );
    let recommendation: Option<String> = row.try_get("recommendation")?;
    Ok(ReviewRow {
        reviewer_id: row.try_get("reviewer_id")?,
        pseudonym: row.try_get("pseudonym")?,
        submission_id: row.try_get("submission_id")?,
        levels: row.try_get("levels")?,
        comments: row.try_get("comments")?,
        recommendation: recommendation
            .map(|text| text.parse())
            .transpose()
            .map_err(|e: String| anyhow::anyhow!("{what}: column `recommendation`: {e}"))?,
        state: closed::column(row, &what, "state")?,
        updated_at: row.try_get("updated_at")?,
        submitted_at: row.try_get("submitted_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::{Recommendation, ReviewState};
    use crate::base::closed::assert_round_trip;

    #[test]
    fn review_states_round_trip_through_their_strings() {
        assert_round_trip(ReviewState::ALL, ReviewState::as_str);
    }

    #[test]
    fn recommendations_round_trip_through_their_strings() {
        assert_round_trip(Recommendation::ALL, Recommendation::as_str);
        assert_eq!(
            "maybe".parse::<Recommendation>().unwrap_err(),
            "`maybe` is not a recommendation: use strong no, no, yes, strong yes"
        );
    }
}
