//! The content-addressed blob store: files named by their sha256, written whole or not at all.
//! On SQLite they are files in the workspace; on PostgreSQL they live in the database (so
//! every worker on every machine can read them) with the files as a local read-through cache.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

/// Blobs under `root/ab/cdef…`. A blob is written to a temporary file, synced, then renamed,
/// so a crash leaves either the whole blob or none of it.
#[derive(Clone, Debug)]
pub struct Blobs {
    root: PathBuf,
    database: Option<DatabaseBlobs>,
}

/// The `blobs` table, reached from synchronous code through the runtime's handle.
#[derive(Clone, Debug)]
struct DatabaseBlobs {
    pool: AnyPool,
    runtime: tokio::runtime::Handle,
}

impl DatabaseBlobs {
    /// Waits for `future` from synchronous code, inside or outside the runtime's threads.
    fn wait<T>(&self, future: impl std::future::Future<Output = T>) -> T {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => tokio::task::block_in_place(|| handle.block_on(future)),
            Err(_) => self.runtime.block_on(future),
        }
    }

    fn contains(&self, sha256: &str) -> anyhow::Result<bool> {
        self.wait(async {
            Ok(sqlx::query("SELECT sha256 FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?
                .is_some())
        })
    }

    fn put(&self, sha256: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.wait(async {
            sqlx::query("INSERT INTO blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(sha256)
                .bind(bytes)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn get(&self, sha256: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.wait(async {
            let row = sqlx::query("SELECT bytes FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|r| r.try_get::<Vec<u8>, _>("bytes")).transpose()?)
        })
    }
}

impl Blobs {
    /// Blobs kept as files under `root`.
    pub fn open(root: &Path) -> anyhow::Result<Blobs> {
        std::fs::create_dir_all(root.join("tmp"))
            .with_context(|| format!("cannot create {}", root.display()))?;
        // Blobs a killed process was writing: never named, never read.
        crate::base::remove_stale(&root.join("tmp"), crate::base::STALE_AFTER);
        Ok(Blobs {
            root: root.to_path_buf(),
            database: None,
        })
    }

    /// Blobs kept in the database behind `pool`, cached as files under `cache`. Must be
    /// called inside a multi-threaded tokio runtime.
    pub fn in_database(cache: &Path, pool: AnyPool) -> anyhow::Result<Blobs> {
        let mut blobs = Blobs::open(cache)?;
        blobs.database = Some(DatabaseBlobs {
            pool,
            runtime: tokio::runtime::Handle::current(),
        });
        Ok(blobs)
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        let (head, tail) = sha256.split_at(2.min(sha256.len()));
        self.root.join(head).join(tail)
    }

    pub fn contains(&self, sha256: &str) -> bool {
        is_sha256(sha256)
            && (self.path(sha256).is_file()
                || self
                    .database
                    .as_ref()
                    .is_some_and(|db| db.contains(sha256).unwrap_or(false)))
    }

    /// Stores `bytes`, returning their sha256.
    pub fn put(&self, bytes: &[u8]) -> anyhow::Result<String> {
        self.put_reader(&mut &bytes[..])
    }

    /// Stores a file's content, returning its sha256.
    pub fn put_file(&self, path: &Path) -> anyhow::Result<String> {
        let mut file =
            File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        self.put_reader(&mut file)
    }

    fn put_reader(&self, reader: &mut dyn Read) -> anyhow::Result<String> {
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join("tmp"))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0; 256 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])?;
        }
        let sha256 = hex::encode(hasher.finalize());
        if let Some(database) = &self.database
            && !database.contains(&sha256)?
        {
            database.put(&sha256, std::fs::read(tmp.path())?)?;
        }
        self.keep(tmp, &sha256)?;
        Ok(sha256)
    }

    /// Moves a finished temporary file into place as the blob `sha256`.
    fn keep(&self, tmp: tempfile::NamedTempFile, sha256: &str) -> anyhow::Result<()> {
        let target = self.path(sha256);
        if target.is_file() {
            return Ok(());
        }
        tmp.as_file().sync_all()?;
        let dir = target.parent().expect("blob paths have a parent");
        std::fs::create_dir_all(dir)?;
        tmp.persist(&target)?;
        File::open(dir)?.sync_all()?;
        Ok(())
    }

    pub fn get(&self, sha256: &str) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(is_sha256(sha256), "`{sha256}` is not a sha256");
        if let Ok(bytes) = std::fs::read(self.path(sha256)) {
            return Ok(bytes);
        }
        let Some(database) = &self.database else {
            anyhow::bail!("blob {sha256} is missing from {}", self.root.display());
        };
        let bytes = database
            .get(sha256)?
            .with_context(|| format!("blob {sha256} is missing from the database"))?;
        anyhow::ensure!(
            hex::encode(Sha256::digest(&bytes)) == sha256,
            "blob {sha256} in the database does not match its hash"
        );
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join("tmp"))?;
        tmp.write_all(&bytes)?;
        self.keep(tmp, sha256)?;
        Ok(bytes)
    }
}

impl Blobs {
    /// Whether blobs live in the database (PostgreSQL) rather than only as files.
    pub(super) fn in_db(&self) -> bool {
        self.database.is_some()
    }

    /// Every blob file under the root (not the temporaries): (name from its path, path).
    /// A name that is not a sha256 is listed as it is, for the caller to report.
    pub(super) fn files(&self) -> anyhow::Result<Vec<(String, PathBuf)>> {
        let mut found = Vec::new();
        let Ok(heads) = std::fs::read_dir(&self.root) else {
            return Ok(found);
        };
        for head in heads {
            let head = head?;
            let head_name = head.file_name().to_string_lossy().into_owned();
            if head_name == "tmp" || !head.file_type()?.is_dir() {
                continue;
            }
            for tail in std::fs::read_dir(head.path())? {
                let tail = tail?;
                let name = format!("{head_name}{}", tail.file_name().to_string_lossy());
                found.push((name, tail.path()));
            }
        }
        found.sort();
        Ok(found)
    }
}

pub fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_deduplicate() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let a = blobs.put(b"hello").unwrap();
        assert_eq!(
            a,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(blobs.put(b"hello").unwrap(), a);
        assert_eq!(blobs.get(&a).unwrap(), b"hello");
        assert!(blobs.get("../../etc/passwd").is_err());
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
