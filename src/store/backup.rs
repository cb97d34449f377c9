//! Backing up a workspace while it is in use: the database as one consistent snapshot, then
//! the blobs its rows name, re-hashed as they are copied. The copy is a SQLite workspace of
//! its own; a copy of a PostgreSQL workspace can be restored into an empty PostgreSQL database.
//!
//! Why blobs after the snapshot is consistent: blobs are immutable and never deleted, and
//! every writer stores a row's blobs (fsynced files, or committed `blobs` rows) before the
//! transaction that adds the row. Any row the snapshot holds therefore names blobs that
//! already existed when the snapshot was taken.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sqlx::Row;

use super::verify::{Verified, references};
use super::workspace::{DATABASE_FILE, SETTINGS_FILE, Settings};
use super::{Blobs, Store, Workspace, tables};

/// What a backup holds.
#[derive(Debug)]
pub struct Backup {
    pub folder: PathBuf,
    /// The copy's check, run before it was put in place.
    pub verified: Verified,
}

impl Workspace {
    /// Writes a consistent copy of this workspace to `into` (a new or empty folder), checks
    /// it, and only then puts it in place: an interrupted backup leaves no folder that looks
    /// complete.
    pub async fn backup(&self, into: &Path) -> anyhow::Result<Backup> {
        if into.exists() {
            let empty = std::fs::read_dir(into)
                .with_context(|| format!("{} exists and is not a folder", into.display()))?
                .next()
                .is_none();
            anyhow::ensure!(
                empty,
                "{} already holds files: back up into a new or empty folder",
                into.display()
            );
        }
        let parent = match into.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let staging = tempfile::Builder::new()
            .prefix(".takehome-backup-")
            .tempdir_in(&parent)
            .with_context(|| format!("cannot write in {}", parent.display()))?;
        let database = staging.path().join(DATABASE_FILE);
        let copy_blobs = Blobs::open(&staging.path().join("blobs"))?;
        if self.store.is_sqlite() {
            // One read transaction: the copy is the database as of one moment.
            sqlx::query("VACUUM INTO $1")
                .bind(database.display().to_string())
                .execute(self.store.pool())
                .await
                .context("copying the database (VACUUM INTO)")?;
            let copy = Store::open(&Store::sqlite_url(&database)).await?;
            let named = named_blobs(&copy).await?;
            copy.close().await;
            for (sha256, named_by) in named {
                let source = self.blobs.path(&sha256);
                anyhow::ensure!(
                    source.is_file(),
                    "{named_by} names blob {sha256}, which is missing from {}: the workspace is damaged (see `takehome verify`)",
                    source.display()
                );
                let copied = copy_blobs.put_file(&source)?;
                anyhow::ensure!(
                    copied == sha256,
                    "blob {sha256} ({named_by}) in the workspace hashes to {copied}: the workspace is damaged (see `takehome verify`)"
                );
            }
        } else {
            // One snapshot for every table and every blob read.
            let mut source = self
                .store
                .pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
            let copy = Store::open(&Store::sqlite_url(&database)).await?;
            let mut target = copy.write().await?;
            tables::check_schema(&mut target).await?;
            tables::copy_rows(&mut source, &mut target).await?;
            target.commit().await?;
            let named = named_blobs(&copy).await?;
            copy.close().await;
            for (sha256, named_by) in named {
                let row = sqlx::query("SELECT bytes FROM blobs WHERE sha256 = $1")
                    .bind(&sha256)
                    .fetch_optional(&mut *source)
                    .await?;
                let Some(row) = row else {
                    anyhow::bail!(
                        "{named_by} names blob {sha256}, which is missing from the database: the workspace is damaged (see `takehome verify`)"
                    );
                };
                let bytes: Vec<u8> = row.try_get("bytes")?;
                let copied = copy_blobs.put(&bytes)?;
                anyhow::ensure!(
                    copied == sha256,
                    "blob {sha256} ({named_by}) in the database hashes to {copied}: the workspace is damaged (see `takehome verify`)"
                );
            }
            source.rollback().await?;
        }
        // The copy's own settings: its database is the file beside them.
        let settings = Settings {
            database_url: None,
            public_url: self.settings.public_url.clone(),
        };
        let text = format!(
            "# A backup of the takehome workspace {}, taken {}.\n{}",
            self.root.display(),
            crate::base::format_time(crate::base::now_ms()),
            toml::to_string(&settings)?
        );
        crate::base::write_atomically(&staging.path().join(SETTINGS_FILE), || {
            Ok(text.into_bytes())
        })?;
        let copy = Workspace::open(staging.path(), None).await?;
        let verified = copy.verify().await?;
        copy.store.close().await;
        anyhow::ensure!(
            verified.problems.is_empty(),
            "the copy does not check out, so it was not kept:\n{}",
            verified.problems.join("\n")
        );
        if into.exists() {
            std::fs::remove_dir(into)
                .with_context(|| format!("cannot replace the empty folder {}", into.display()))?;
        }
        let staged = staging.keep();
        std::fs::rename(&staged, into).with_context(|| {
            format!(
                "cannot move the finished copy {} to {}",
                staged.display(),
                into.display()
            )
        })?;
        Ok(Backup {
            folder: into.to_path_buf(),
            verified,
        })
    }

    /// Copies this workspace (a backup: SQLite) into the empty PostgreSQL database at
    /// `url`, rows and blobs in one transaction, after checking the backup. Returns the
    /// rows copied per table and the blobs copied.
    pub async fn restore_into(&self, url: &str) -> anyhow::Result<(Vec<(&'static str, u64)>, u64)> {
        anyhow::ensure!(
            self.store.is_sqlite(),
            "{} is not a backup (its database is not SQLite): restore from the folder `takehome backup` wrote",
            self.root.display()
        );
        anyhow::ensure!(
            url.starts_with("postgres"),
            "restore copies a backup into PostgreSQL, not {url}: a backup is a SQLite workspace already; copy its folder into place instead"
        );
        let verified = self.verify().await?;
        anyhow::ensure!(
            verified.problems.is_empty(),
            "the backup {} does not check out; nothing was restored:\n{}",
            self.root.display(),
            verified.problems.join("\n")
        );
        let target = Store::open(url).await?;
        let mut to = target.write().await?;
        if let Some(table) = tables::first_nonempty(&mut to).await? {
            anyhow::bail!(
                "the database {url} already holds rows in `{table}`: restore only into a new, empty database"
            );
        }
        let mut from = self.store.pool().begin().await?;
        tables::check_schema(&mut from).await?;
        let rows = tables::copy_rows(&mut from, &mut to).await?;
        from.rollback().await?;
        let mut blobs = 0;
        for (name, path) in self.blobs.files()? {
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            sqlx::query("INSERT INTO blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&name)
                .bind(bytes)
                .execute(&mut *to)
                .await?;
            blobs += 1;
        }
        to.commit().await?;
        target.close().await;
        Ok((rows, blobs))
    }
}

/// Each distinct blob the rows of `store` name, with the first row naming it.
async fn named_blobs(store: &Store) -> anyhow::Result<Vec<(String, String)>> {
    let mut connection = store.pool().acquire().await?;
    let (found, _, problems) = references(&mut connection).await?;
    anyhow::ensure!(
        problems.is_empty(),
        "rows of the workspace do not read:\n{}",
        problems.join("\n")
    );
    if let Some(bad) = found.iter().find(|r| !super::blobs::is_sha256(&r.sha256)) {
        anyhow::bail!(
            "{} names the blob `{}`, which is not a sha256: the workspace is damaged (see `takehome verify`)",
            bad.named_by,
            bad.sha256
        );
    }
    let mut seen = BTreeSet::new();
    Ok(found
        .into_iter()
        .filter(|r| seen.insert(r.sha256.clone()))
        .map(|r| (r.sha256, r.named_by))
        .collect())
}
