//! Collecting what the guest created or changed in its working copy (or output folder),
//! without trusting any of it.
//!
//! The guest may have left links, special files or huge sparse files. The harness never
//! follows a link, opens files with `O_NOFOLLOW`, checks the opened handle is a regular
//! file, and reads at most `max_read` bytes of any file. Entries as they were copied in (by
//! the [`Baseline`]) are not outputs, nor is a file rewritten with the bytes it had.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::workcopy::Baseline;
use crate::base::open_regular;
use crate::record::{OutputFile, OutputKind};

/// Lists every entry below `root` that is not as `baseline` has it, in sorted path order,
/// hashing regular files up to `max_read`.
pub fn collect(
    root: &Path,
    max_read: u64,
    max_entries: u64,
    baseline: &Baseline,
) -> Vec<OutputFile> {
    let mut found = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(rel_dir) = pending.pop() {
        let dir = if rel_dir.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel_dir)
        };
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            if found.len() as u64 >= max_entries {
                break;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel_dir.is_empty() {
                name
            } else {
                format!("{rel_dir}/{name}")
            };
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            if baseline.unchanged(&entry.path(), &meta) && !meta.is_dir() {
                continue;
            }
            if meta.is_dir() {
                pending.push(rel);
            } else if meta.file_type().is_symlink() {
                found.push(OutputFile {
                    path: rel,
                    bytes: 0,
                    sha256: None,
                    kind: OutputKind::Symlink,
                });
            } else if meta.is_file() {
                let sha256 = if meta.len() <= max_read {
                    hash_file(&entry.path(), max_read)
                } else {
                    None
                };
                let same_as_copied = baseline.original(&entry.path()).is_some_and(|was| {
                    was.len == meta.len() && was.sha256.map(hex::encode).as_ref() == sha256.as_ref()
                });
                if same_as_copied {
                    continue;
                }
                found.push(OutputFile {
                    path: rel,
                    bytes: meta.len(),
                    sha256,
                    kind: OutputKind::File,
                });
            } else {
                found.push(OutputFile {
                    path: rel,
                    bytes: 0,
                    sha256: None,
                    kind: OutputKind::Other,
                });
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// Copies the outputs that were read whole (those with a hash) from `root` into `dest`, at
/// the same relative paths, never following a link.
pub fn copy_out(
    root: &Path,
    outputs: &[OutputFile],
    dest: &Path,
    max_read: u64,
) -> anyhow::Result<()> {
    for file in outputs
        .iter()
        .filter(|f| f.kind == OutputKind::File && f.sha256.is_some())
    {
        let Some(source) = open_regular(&root.join(&file.path)) else {
            continue;
        };
        let target = dest.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut output = File::create(&target)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
        std::io::copy(&mut source.take(max_read), &mut output)?;
    }
    Ok(())
}

fn hash_file(path: &Path, max_read: u64) -> Option<String> {
    let file = open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut reader = file.take(max_read);
    std::io::copy(&mut reader, &mut hasher).ok()?;
    Some(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_listed_not_followed_and_big_files_not_read() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir(out.path().join("sub")).unwrap();
        std::fs::write(out.path().join("sub/a.txt"), b"abc").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", out.path().join("pw")).unwrap();
        File::create(out.path().join("huge"))
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        let found = collect(out.path(), 1 << 20, 100, &Baseline::default());
        let paths: Vec<_> = found
            .iter()
            .map(|f| (f.path.as_str(), f.kind.as_str()))
            .collect();
        assert_eq!(
            paths,
            [("huge", "file"), ("pw", "symlink"), ("sub/a.txt", "file")]
        );
        assert_eq!(found[0].sha256, None);
        assert_eq!(found[1].sha256, None);
        assert_eq!(
            found[2].sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }
}
