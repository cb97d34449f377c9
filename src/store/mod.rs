//! The only code that touches the database and the blobs: the workspace's state behind one
//! interface, on SQLite (the default) or PostgreSQL, through sqlx's `Any` driver and
//! portable SQL.

pub mod blobs;
pub(crate) mod closed;
pub mod cohort;
pub mod json;
pub mod queue;
pub mod reviews;
pub mod workspace;

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, AssertSqlSafe, Row};

pub use blobs::Blobs;
pub use json::FileRef;
pub use workspace::Workspace;

/// Schema migrations, applied in order, each once.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_workspace.sql")),
    (2, include_str!("migrations/0002_runs.sql")),
    (3, include_str!("migrations/0003_queue.sql")),
    (4, include_str!("migrations/0004_reviews.sql")),
    (5, include_str!("migrations/0005_leads.sql")),
    (6, include_str!("migrations/0006_run_lookup.sql")),
    (7, include_str!("migrations/0007_job_runner.sql")),
];

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

/// Connections to one SQLite database kept by a process.
const SQLITE_CONNECTIONS: u32 = 4;

/// The database of one workspace.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    sqlite: bool,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and brings the schema up to date.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let options =
            AnyConnectOptions::from_str(url).with_context(|| format!("bad database url {url}"))?;
        let sqlite = url.starts_with("sqlite");
        let pool = AnyPoolOptions::new()
            // SQLite in WAL mode: readers never wait for each other or for the writer, so
            // pages are read on several connections at once; writers take the lock at BEGIN
            // (see `write`) and wait for each other by `busy_timeout`.
            .max_connections(if sqlite { SQLITE_CONNECTIONS } else { 8 })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if sqlite {
                        // Other processes (workers, a server) write too: wait for their locks.
                        sqlx::query("PRAGMA busy_timeout = 30000")
                            .execute(&mut *connection)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *connection)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database {url}"))?;
        let store = Store { pool, sqlite };
        store.migrate().await?;
        Ok(store)
    }

    /// The SQLite URL of a database file, in WAL mode.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Whether this is the SQLite backend.
    pub fn is_sqlite(&self) -> bool {
        self.sqlite
    }

    /// A transaction that will write. On SQLite it takes the write lock at once, so that
    /// concurrent processes wait for each other instead of failing their upgrade mid-way.
    pub(crate) async fn write(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(if self.sqlite {
            self.pool.begin_with("BEGIN IMMEDIATE").await?
        } else {
            self.pool.begin().await?
        })
    }

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

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        if self.sqlite {
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&self.pool)
                .await?;
        }
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")
            .execute(&self.pool)
            .await?;
        for (version, sql) in MIGRATIONS {
            let mut tx = self.write().await?;
            if !self.sqlite {
                // Processes starting together must not migrate twice.
                sqlx::query("SELECT pg_advisory_xact_lock(7431)")
                    .execute(&mut *tx)
                    .await?;
            }
            let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            let sql: Vec<&str> = sql
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect();
            for statement in sql
                .join("\n")
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                sqlx::query(AssertSqlSafe(statement.to_string()))
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("migration {version}"))?;
            }
            sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
                .bind(version)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

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
    async fn insert_run(
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

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

const ASSIGNMENT_SELECT: &str =
    "SELECT content_hash, id, revision, version, title, manifest, files, added_at FROM assignments";
const ASSIGNMENT_SELECT_BY_HASH: &str = "SELECT content_hash, id, revision, version, title, manifest, files, added_at FROM assignments WHERE content_hash = $1";
const CANDIDATE_SELECT: &str = "SELECT pseudonym, name, email, assignment_hash, token_hash, issued_at, due_at, bundle_sha256 FROM candidates";
const SUBMISSION_SELECT: &str = "SELECT id, pseudonym, seq, content_hash, files, manifest, validation, received_at, late, same_as FROM submissions";

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
