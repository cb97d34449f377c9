//! The only code that touches the database and the blobs: the workspace's state behind one
//! interface, on SQLite (the default) or PostgreSQL, through sqlx's `Any` driver and
//! portable SQL.

mod assignments;
pub mod blobs;
pub(crate) mod closed;
pub mod cohort;
pub mod json;
pub mod queue;
pub mod reviews;
mod submissions;
pub mod workspace;

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, AssertSqlSafe};

pub use assignments::{AssignmentRow, CandidateRow};
pub use blobs::Blobs;
pub use cohort::CohortInputs;
pub use json::FileRef;
pub use submissions::{RunPurpose, RunRow, SubmissionRow};
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

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
