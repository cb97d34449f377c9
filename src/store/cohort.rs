//! Hiring leads, who see the cohort view: similarity, agreement and leniency.

use sqlx::Row;

use super::Store;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LeadRow {
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub added_at: i64,
}

/// What a cohort view is computed from, counted: assignment versions, submissions and
/// submitted reviews are only ever added, so equal counts mean an unchanged cohort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CohortInputs {
    pub assignment_versions: i64,
    pub submissions: i64,
    pub submitted_reviews: i64,
}

const LEAD_SELECT: &str = "SELECT id, name, token_hash, added_at FROM leads";

impl Store {
    /// The counts a kept cohort view is checked against, in one query.
    pub async fn cohort_inputs(&self) -> anyhow::Result<CohortInputs> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM assignments) AS a, (SELECT COUNT(*) FROM submissions) AS s, \
             (SELECT COUNT(*) FROM reviews WHERE submitted_at IS NOT NULL) AS r",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(CohortInputs {
            assignment_versions: row.try_get("a")?,
            submissions: row.try_get("s")?,
            submitted_reviews: row.try_get("r")?,
        })
    }

    pub async fn add_lead(&self, row: &LeadRow) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO leads (id, name, token_hash, added_at) VALUES ($1, $2, $3, $4)")
            .bind(&row.id)
            .bind(&row.name)
            .bind(&row.token_hash)
            .bind(row.added_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn leads(&self) -> anyhow::Result<Vec<LeadRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{LEAD_SELECT} ORDER BY name")))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(lead_from).collect()
    }

    /// A lead by id or exact name.
    pub async fn lead(&self, id_or_name: &str) -> anyhow::Result<Option<LeadRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LEAD_SELECT} WHERE id = $1 OR name = $1"
        )))
        .bind(id_or_name)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(lead_from).transpose()
    }

    pub async fn lead_by_token(&self, token_hash: &str) -> anyhow::Result<Option<LeadRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LEAD_SELECT} WHERE token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(lead_from).transpose()
    }

    /// Replaces a lead's token (a lost or leaked link).
    pub async fn set_lead_token(&self, id: &str, token_hash: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE leads SET token_hash = $1 WHERE id = $2")
            .bind(token_hash)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

fn lead_from(row: &sqlx::any::AnyRow) -> anyhow::Result<LeadRow> {
    Ok(LeadRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        token_hash: row.try_get("token_hash")?,
        added_at: row.try_get("added_at")?,
    })
}
