//! The working copy a run works in: a fresh host copy of the submission (or of the folder
//! given to `takehome run --root`), and what it held when the run began.
//!
//! The copy is made without following links: links, devices and sockets in the source are
//! left out, and so is `.git`. Every copied file gets a fixed modification time, so a file the
//! guest rewrites is told apart from one it left alone by its inode, size and time, without
//! reading it. The [`Baseline`] remembers that, plus each file's sha256, so that the disk
//! quota counts only what the run created or changed, and a file rewritten with identical
//! bytes is not an output.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::settings::VIRTUAL_EPOCH_SECS;
use crate::base::open_regular;

/// How much a source folder may hold to be copied.
#[derive(Clone, Copy, Debug)]
pub struct CopyLimits {
    /// Files and folders.
    pub entries: u64,
    /// Total bytes of the files.
    pub bytes: u64,
}

impl Default for CopyLimits {
    fn default() -> Self {
        CopyLimits {
            entries: 20_000,
            bytes: 2 << 30,
        }
    }
}

/// What one entry of the copy was when the run began.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub dir: bool,
    pub ino: u64,
    pub len: u64,
    pub mtime: (i64, i64),
    /// sha256 of a file's content.
    pub sha256: Option<[u8; 32]>,
}

impl Stamp {
    fn of(meta: &Metadata, sha256: Option<[u8; 32]>) -> Stamp {
        Stamp {
            dir: meta.is_dir(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            sha256,
        }
    }
}

/// The entries of the working copy before the run, by host path.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    entries: HashMap<PathBuf, Stamp>,
}

impl Baseline {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// What `path` was before the run, if it was there.
    pub fn original(&self, path: &Path) -> Option<&Stamp> {
        self.entries.get(path)
    }

    /// Whether `path`, now described by `meta` (not following links), is as it was copied:
    /// the same folder, or the same file by inode, size and modification time.
    pub fn unchanged(&self, path: &Path, meta: &Metadata) -> bool {
        let Some(stamp) = self.entries.get(path) else {
            return false;
        };
        if meta.file_type().is_symlink() {
            return false;
        }
        match stamp.dir {
            true => meta.is_dir(),
            false => meta.is_file() && Stamp::of(meta, stamp.sha256) == *stamp,
        }
    }

    /// Makes the folder `path` if it is missing and counts it as part of the copy.
    pub fn ensure_dir(&mut self, path: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(path).with_context(|| format!("cannot make {}", path.display()))?;
        let meta = std::fs::symlink_metadata(path)?;
        self.entries
            .entry(path.to_path_buf())
            .or_insert_with(|| Stamp::of(&meta, None));
        Ok(())
    }
}

/// The fixed modification time of every copied file.
fn copied_mtime() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(VIRTUAL_EPOCH_SECS)
}

/// Copies the folder `from` into `to` (made if missing) and returns the copy's baseline.
/// Refuses a source over `limits`, naming it.
pub fn copy_tree(from: &Path, to: &Path, limits: CopyLimits) -> anyhow::Result<Baseline> {
    let mut baseline = Baseline::default();
    baseline.ensure_dir(to)?;
    let (mut entries, mut bytes) = (0u64, 0u64);
    let mut pending = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((source_dir, dest_dir)) = pending.pop() {
        let listing = std::fs::read_dir(&source_dir)
            .with_context(|| format!("cannot read the folder {}", source_dir.display()))?;
        let mut names: Vec<_> = listing
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("cannot read the folder {}", source_dir.display()))?;
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let name = entry.file_name();
            if name == ".git" {
                continue;
            }
            let source = entry.path();
            let dest = dest_dir.join(&name);
            let meta = std::fs::symlink_metadata(&source)
                .with_context(|| format!("cannot read {}", source.display()))?;
            if !(meta.is_dir() || meta.is_file()) {
                continue;
            }
            entries += 1;
            if entries > limits.entries {
                bail!(
                    "{} holds more than {} files and folders, too many to copy for a run",
                    from.display(),
                    limits.entries
                );
            }
            if meta.is_dir() {
                baseline.ensure_dir(&dest)?;
                pending.push((source, dest));
                continue;
            }
            bytes = bytes.saturating_add(meta.len());
            if bytes > limits.bytes {
                bail!(
                    "{} holds more than {} bytes of files, too many to copy for a run",
                    from.display(),
                    limits.bytes
                );
            }
            let sha256 = copy_file(&source, &dest, limits.bytes)?;
            let meta = std::fs::symlink_metadata(&dest)?;
            baseline
                .entries
                .insert(dest, Stamp::of(&meta, Some(sha256)));
        }
    }
    Ok(baseline)
}

/// Copies one regular file (not through a link), hashing it, and gives the copy the fixed time.
fn copy_file(source: &Path, dest: &Path, max: u64) -> anyhow::Result<[u8; 32]> {
    let mut input =
        open_regular(source).with_context(|| format!("cannot read {}", source.display()))?;
    let mut output =
        std::fs::File::create(dest).with_context(|| format!("cannot write {}", dest.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    let mut left = max;
    loop {
        let n = input
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", source.display()))?;
        if n == 0 {
            break;
        }
        left = left
            .checked_sub(n as u64)
            .with_context(|| format!("{} grew while it was copied", source.display()))?;
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
    }
    output.set_modified(copied_mtime())?;
    Ok(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_leaves_out_links_and_git_and_knows_what_it_copied() {
        let source = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(source.path().join("data")).unwrap();
        std::fs::create_dir_all(source.path().join(".git")).unwrap();
        std::fs::write(source.path().join("data/a.csv"), "x,y\n").unwrap();
        std::fs::write(source.path().join(".git/HEAD"), "ref").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", source.path().join("pw")).unwrap();
        let dest = tempfile::tempdir().unwrap();
        let work = dest.path().join("work");
        let baseline = copy_tree(source.path(), &work, CopyLimits::default()).unwrap();
        assert_eq!(
            std::fs::read_to_string(work.join("data/a.csv")).unwrap(),
            "x,y\n"
        );
        assert!(!work.join(".git").exists());
        assert!(std::fs::symlink_metadata(work.join("pw")).is_err());
        let copied = work.join("data/a.csv");
        let meta = std::fs::symlink_metadata(&copied).unwrap();
        assert!(baseline.unchanged(&copied, &meta));
        std::fs::write(&copied, "x,z\n").unwrap();
        let meta = std::fs::symlink_metadata(&copied).unwrap();
        assert!(!baseline.unchanged(&copied, &meta));
    }

    #[test]
    fn a_source_over_the_limits_is_refused_naming_it() {
        let source = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(source.path().join(format!("{i}.txt")), "12345").unwrap();
        }
        let dest = tempfile::tempdir().unwrap();
        let limits = CopyLimits {
            entries: 3,
            bytes: 1 << 20,
        };
        let err = copy_tree(source.path(), dest.path(), limits).unwrap_err();
        assert!(err.to_string().contains("more than 3 files"), "{err}");
        let limits = CopyLimits {
            entries: 100,
            bytes: 12,
        };
        let err = copy_tree(source.path(), &dest.path().join("b"), limits).unwrap_err();
        assert!(
            err.to_string()
                .contains(&source.path().display().to_string())
        );
    }
}
