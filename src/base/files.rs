//! A kept file's reference (path, size, content hash), writing a file atomically, removing stale
//! leftovers, and opening a regular file without following links.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A file kept as a blob: its path, size and content hash. Assignment and submission files,
/// unpacked uploads and a run's kept outputs are all lists of these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// '/'-separated, relative to the folder it came from.
    pub path: String,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the content: the blob's name.
    pub sha256: String,
}

/// Writes a file by rename, so a reader never sees half of it.
pub fn write_atomically(
    path: &Path,
    contents: impl FnOnce() -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{} has no parent", path.display()))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&contents()?)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
}

/// How old a scratch entry must be before [`remove_stale`] takes it: far longer than any
/// upload or blob write takes, so that only what a killed process left is removed.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes the entries of the scratch folder `dir` last changed more than `older_than` ago
/// (what a process killed mid-write leaves: `kill -9` runs no destructor). Best effort: an
/// entry that cannot be read or removed is left.
pub fn remove_stale(dir: &Path, older_than: std::time::Duration) {
    remove_stale_named(dir, "", older_than)
}

/// [`remove_stale`] for the entries of `dir` whose names start with `prefix` only (scratch
/// entries in a folder that also keeps things for good, such as the compile cache).
pub fn remove_stale_named(dir: &Path, prefix: &str, older_than: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .as_encoded_bytes()
            .starts_with(prefix.as_bytes())
        {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > older_than);
        if !stale {
            continue;
        }
        let path = entry.path();
        let _ = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_stale_entries_with_the_prefix_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().join(".compile-abc");
        std::fs::create_dir(&scratch).unwrap();
        std::fs::write(scratch.join("module.wasm"), b"x").unwrap();
        let kept_for_good = dir.path().join("0123abcd.cwasm");
        std::fs::write(&kept_for_good, b"artifact").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        // Young entries stay.
        remove_stale_named(dir.path(), ".compile-", Duration::from_secs(3600));
        assert!(scratch.is_dir());
        // Old enough: only the prefixed one goes.
        remove_stale_named(dir.path(), ".compile-", Duration::from_millis(1));
        assert!(!scratch.exists());
        assert!(kept_for_good.is_file());
        remove_stale(dir.path(), Duration::from_millis(1));
        assert!(!kept_for_good.exists());
    }
}

/// Opens `path` only if it is a regular file and not a link.
pub fn open_regular(path: &Path) -> Option<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

/// The sha256 of a file's content, in hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use sha2::Digest;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}
