//! A kept file's reference (path, size, content hash) and writing a file atomically.

use std::io::Write;
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
