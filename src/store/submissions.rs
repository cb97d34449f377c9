//! Submission versions and the runs of each.

use sqlx::{AssertSqlSafe, Row};

use super::{Store, closed};

#[derive(Clone, Debug, PartialEq)]
pub struct SubmissionRow {
    /// `PSEUDONYM/seq`, e.g. `C-7F3K/2`.
    pub id: String,
    pub pseudonym: String,
    pub seq: i64,
    pub content_hash: String,
    pub files: String,
    pub manifest: String,
    pub validation: String,
    pub received_at: i64,
    pub late: bool,
    /// The earlier version with identical content, if any.
    pub same_as: Option<String>,
}

closed::closed_set! {
    /// Why a run was made; also what a queued job will do.
    pub enum RunPurpose("a run purpose") {
        /// Run, score and check the claims of a submission version.
        Evaluate = "evaluate",
        /// Run it again with the stored seed and clock and compare with the stored evaluation.
        Rerun = "rerun",
    }
}

/// One stored evaluation or rerun of a submission version.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// `SUBMISSION#n`, e.g. `C-7F3K/2#1`.
    pub id: String,
    pub submission_id: String,
    pub purpose: RunPurpose,
    /// The evaluation as JSON: run record, score, claims, provenance.
    pub evaluation: String,
    pub created_at: i64,
}

impl Store {
    /// Serialises writers of one submission's runs (PostgreSQL; SQLite writers are serial).
    async fn lock_submission(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        submission_id: &str,
    ) -> anyhow::Result<()> {
        if !self.sqlite {
            sqlx::query("SELECT id FROM submissions WHERE id = $1 FOR UPDATE")
                .bind(submission_id)
                .fetch_optional(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Records a new submission version; its sequence number is assigned here, in one transaction.
    pub async fn add_submission(&self, mut row: SubmissionRow) -> anyhow::Result<SubmissionRow> {
        let mut tx = self.write().await?;
        let last: Option<i64> =
            sqlx::query("SELECT MAX(seq) AS s FROM submissions WHERE pseudonym = $1")
                .bind(&row.pseudonym)
                .fetch_one(&mut *tx)
                .await?
                .try_get("s")?;
        row.seq = last.unwrap_or(0) + 1;
        row.id = format!("{}/{}", row.pseudonym, row.seq);
        row.same_as = sqlx::query("SELECT id FROM submissions WHERE pseudonym = $1 AND content_hash = $2 ORDER BY seq LIMIT 1")
            .bind(&row.pseudonym)
            .bind(&row.content_hash)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<String, _>("id"))
            .transpose()?;
        sqlx::query(
            "INSERT INTO submissions (id, pseudonym, seq, content_hash, files, manifest, validation, received_at, late, same_as) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&row.id)
        .bind(&row.pseudonym)
        .bind(row.seq)
        .bind(&row.content_hash)
        .bind(&row.files)
        .bind(&row.manifest)
        .bind(&row.validation)
        .bind(row.received_at)
        .bind(i64::from(row.late))
        .bind(&row.same_as)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn submissions(&self, pseudonym: Option<&str>) -> anyhow::Result<Vec<SubmissionRow>> {
        let rows = match pseudonym {
            Some(p) => {
                sqlx::query(AssertSqlSafe(format!(
                    "{SUBMISSION_SELECT} WHERE pseudonym = $1 ORDER BY seq"
                )))
                .bind(p)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!(
                    "{SUBMISSION_SELECT} ORDER BY pseudonym, seq"
                )))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(submission_from).collect()
    }

    /// Each candidate's newest submission version, by pseudonym: the one every command
    /// and page acts on unless told a version.
    pub async fn newest_submissions(&self) -> anyhow::Result<Vec<SubmissionRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SUBMISSION_SELECT} s WHERE seq = (SELECT MAX(seq) FROM submissions n WHERE n.pseudonym = s.pseudonym) \
             ORDER BY pseudonym"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(submission_from).collect()
    }

    /// The newest submission version of the candidate `pseudonym` (exactly), if any.
    pub async fn newest_submission(
        &self,
        pseudonym: &str,
    ) -> anyhow::Result<Option<SubmissionRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SUBMISSION_SELECT} WHERE pseudonym = $1 ORDER BY seq DESC LIMIT 1"
        )))
        .bind(pseudonym)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(submission_from).transpose()
    }

    /// A submission version by id (`C-7F3K/2`), or the newest version of a pseudonym.
    pub async fn submission(&self, id_or_pseudonym: &str) -> anyhow::Result<Option<SubmissionRow>> {
        let key = id_or_pseudonym.to_ascii_uppercase();
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SUBMISSION_SELECT} WHERE id = $1 OR pseudonym = $1 ORDER BY seq DESC LIMIT 1"
        )))
        .bind(&key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(submission_from).transpose()
    }

    /// Records a run, numbering it within its submission version, in one transaction.
    pub async fn add_run(
        &self,
        submission_id: &str,
        purpose: RunPurpose,
        evaluation: &str,
        now: i64,
    ) -> anyhow::Result<RunRow> {
        let mut tx = self.write().await?;
        let row = self
            .insert_run(&mut tx, submission_id, purpose, evaluation, now, None)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Inserts a run numbered after the submission's last one, inside `tx`.
    pub(super) async fn insert_run(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        submission_id: &str,
        purpose: RunPurpose,
        evaluation: &str,
        now: i64,
        job_id: Option<&str>,
    ) -> anyhow::Result<RunRow> {
        self.lock_submission(tx, submission_id).await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM runs WHERE submission_id = $1")
            .bind(submission_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
        let row = RunRow {
            id: format!("{submission_id}#{}", count + 1),
            submission_id: submission_id.to_string(),
            purpose,
            evaluation: evaluation.to_string(),
            created_at: now,
        };
        sqlx::query("INSERT INTO runs (id, submission_id, purpose, evaluation, created_at, job_id) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&row.id)
            .bind(&row.submission_id)
            .bind(row.purpose.as_str())
            .bind(&row.evaluation)
            .bind(row.created_at)
            .bind(job_id)
            .execute(&mut **tx)
            .await?;
        Ok(row)
    }

    /// How many runs a submission version has. Runs are only ever added, so this tells
    /// whether anything derived from them has changed.
    pub async fn run_count(&self, submission_id: &str) -> anyhow::Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM runs WHERE submission_id = $1")
                .bind(submission_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }

    /// A run by id.
    pub async fn run(&self, id: &str) -> anyhow::Result<Option<RunRow>> {
        let row = sqlx::query(
            "SELECT id, submission_id, purpose, evaluation, created_at FROM runs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(run_from).transpose()
    }

    /// The runs of a submission version with this purpose, oldest first.
    pub async fn runs_of(
        &self,
        submission_id: &str,
        purpose: RunPurpose,
    ) -> anyhow::Result<Vec<RunRow>> {
        let rows = sqlx::query(
            "SELECT id, submission_id, purpose, evaluation, created_at FROM runs \
             WHERE submission_id = $1 AND purpose = $2 ORDER BY created_at, id",
        )
        .bind(submission_id)
        .bind(purpose.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(run_from).collect()
    }

    /// The newest run of a submission version with this purpose.
    pub async fn latest_run(
        &self,
        submission_id: &str,
        purpose: RunPurpose,
    ) -> anyhow::Result<Option<RunRow>> {
        let row = sqlx::query(
            "SELECT id, submission_id, purpose, evaluation, created_at FROM runs \
             WHERE submission_id = $1 AND purpose = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(submission_id)
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(run_from).transpose()
    }
}

const SUBMISSION_SELECT: &str = "SELECT id, pseudonym, seq, content_hash, files, manifest, validation, received_at, late, same_as FROM submissions";

fn run_from(r: &sqlx::any::AnyRow) -> anyhow::Result<RunRow> {
    let id: String = r.try_get("id")?;
    Ok(RunRow {
        purpose: closed::column(r, &format!("run {id}"), "purpose")?,
        id,
        submission_id: r.try_get("submission_id")?,
        evaluation: r.try_get("evaluation")?,
        created_at: r.try_get("created_at")?,
    })
}

fn submission_from(row: &sqlx::any::AnyRow) -> anyhow::Result<SubmissionRow> {
    Ok(SubmissionRow {
        id: row.try_get("id")?,
        pseudonym: row.try_get("pseudonym")?,
        seq: row.try_get("seq")?,
        content_hash: row.try_get("content_hash")?,
        files: row.try_get("files")?,
        manifest: row.try_get("manifest")?,
        validation: row.try_get("validation")?,
        received_at: row.try_get("received_at")?,
        late: row.try_get::<i64, _>("late")? != 0,
        same_as: row.try_get("same_as")?,
    })
}
