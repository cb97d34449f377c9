//! Assignment versions and the candidates they were issued to.

use sqlx::{AssertSqlSafe, Row};

use super::Store;

/// An assignment version kept in the workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct AssignmentRow {
    pub content_hash: String,
    pub id: String,
    /// 1 for the first version added under this id, then 2, 3, ...
    pub revision: i64,
    pub version: String,
    pub title: String,
    /// The parsed `assignment.toml`, as JSON.
    pub manifest: String,
    /// JSON list of `{path, bytes, sha256}`: the files, kept as blobs.
    pub files: String,
    pub added_at: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CandidateRow {
    pub pseudonym: String,
    pub name: String,
    pub email: String,
    pub assignment_hash: String,
    pub token_hash: String,
    pub issued_at: i64,
    pub due_at: i64,
    pub bundle_sha256: String,
}

impl Store {
    /// Adds an assignment version unless the same content is already there; returns the row.
    pub async fn add_assignment(
        &self,
        mut row: AssignmentRow,
    ) -> anyhow::Result<(AssignmentRow, bool)> {
        let mut tx = self.write().await?;
        if let Some(existing) = sqlx::query(ASSIGNMENT_SELECT_BY_HASH)
            .bind(&row.content_hash)
            .fetch_optional(&mut *tx)
            .await?
        {
            return Ok((assignment_from(&existing)?, false));
        }
        let last: Option<i64> =
            sqlx::query("SELECT MAX(revision) AS r FROM assignments WHERE id = $1")
                .bind(&row.id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("r")?;
        row.revision = last.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO assignments (content_hash, id, revision, version, title, manifest, files, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&row.content_hash)
        .bind(&row.id)
        .bind(row.revision)
        .bind(&row.version)
        .bind(&row.title)
        .bind(&row.manifest)
        .bind(&row.files)
        .bind(row.added_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((row, true))
    }

    /// The newest version of assignment `id`, or the version with this content hash.
    pub async fn assignment(&self, id_or_hash: &str) -> anyhow::Result<Option<AssignmentRow>> {
        if let Some(row) = sqlx::query(ASSIGNMENT_SELECT_BY_HASH)
            .bind(id_or_hash)
            .fetch_optional(&self.pool)
            .await?
        {
            return assignment_from(&row).map(Some);
        }
        let row = sqlx::query(AssertSqlSafe(format!(
            "{ASSIGNMENT_SELECT} WHERE id = $1 ORDER BY revision DESC LIMIT 1"
        )))
        .bind(id_or_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(assignment_from).transpose()
    }

    pub async fn assignments(&self) -> anyhow::Result<Vec<AssignmentRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{ASSIGNMENT_SELECT} ORDER BY id, revision"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(assignment_from).collect()
    }

    pub async fn add_candidate(&self, row: &CandidateRow) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO candidates (pseudonym, name, email, assignment_hash, token_hash, issued_at, due_at, bundle_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&row.pseudonym)
        .bind(&row.name)
        .bind(&row.email)
        .bind(&row.assignment_hash)
        .bind(&row.token_hash)
        .bind(row.issued_at)
        .bind(row.due_at)
        .bind(&row.bundle_sha256)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn pseudonym_taken(&self, pseudonym: &str) -> anyhow::Result<bool> {
        Ok(
            sqlx::query("SELECT pseudonym FROM candidates WHERE pseudonym = $1")
                .bind(pseudonym)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    pub async fn candidates(&self) -> anyhow::Result<Vec<CandidateRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{CANDIDATE_SELECT} ORDER BY issued_at, pseudonym"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(candidate_from).collect()
    }

    /// A candidate by pseudonym (case-insensitive), or by exact name or email.
    pub async fn candidate(&self, who: &str) -> anyhow::Result<Option<CandidateRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{CANDIDATE_SELECT} WHERE pseudonym = $1 OR name = $2 OR email = $2 ORDER BY issued_at DESC LIMIT 1"
        )))
        .bind(who.to_ascii_uppercase())
        .bind(who)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(candidate_from).transpose()
    }

    /// The candidate whose secret token hashes to `token_hash`.
    pub async fn candidate_by_token(
        &self,
        token_hash: &str,
    ) -> anyhow::Result<Option<CandidateRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{CANDIDATE_SELECT} WHERE token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(candidate_from).transpose()
    }

    /// The assignment version a candidate was issued.
    pub async fn assignment_of(&self, pseudonym: &str) -> anyhow::Result<AssignmentRow> {
        let row = sqlx::query(
            "SELECT a.content_hash, a.id, a.revision, a.version, a.title, a.manifest, a.files, a.added_at \
             FROM assignments a JOIN candidates c ON c.assignment_hash = a.content_hash WHERE c.pseudonym = $1",
        )
        .bind(pseudonym)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => assignment_from(&row),
            None => anyhow::bail!("no candidate {pseudonym} with an assignment in this workspace"),
        }
    }
}

const ASSIGNMENT_SELECT: &str =
    "SELECT content_hash, id, revision, version, title, manifest, files, added_at FROM assignments";
const ASSIGNMENT_SELECT_BY_HASH: &str = "SELECT content_hash, id, revision, version, title, manifest, files, added_at FROM assignments WHERE content_hash = $1";
const CANDIDATE_SELECT: &str = "SELECT pseudonym, name, email, assignment_hash, token_hash, issued_at, due_at, bundle_sha256 FROM candidates";

fn assignment_from(row: &sqlx::any::AnyRow) -> anyhow::Result<AssignmentRow> {
    Ok(AssignmentRow {
        content_hash: row.try_get("content_hash")?,
        id: row.try_get("id")?,
        revision: row.try_get("revision")?,
        version: row.try_get("version")?,
        title: row.try_get("title")?,
        manifest: row.try_get("manifest")?,
        files: row.try_get("files")?,
        added_at: row.try_get("added_at")?,
    })
}

fn candidate_from(row: &sqlx::any::AnyRow) -> anyhow::Result<CandidateRow> {
    Ok(CandidateRow {
        pseudonym: row.try_get("pseudonym")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        assignment_hash: row.try_get("assignment_hash")?,
        token_hash: row.try_get("token_hash")?,
        issued_at: row.try_get("issued_at")?,
        due_at: row.try_get("due_at")?,
        bundle_sha256: row.try_get("bundle_sha256")?,
    })
}
