//! Copies a folder upload under the same rules as an archive. Links are refused, never followed.

use std::fs::{self, File, FileType, OpenOptions};
use std::path::Path;

use super::names::clean;
use super::sink::Sink;
use super::{Caps, IntakeError};

/// One entry of the folder: its cleaned relative path, and whether it is a folder.
pub(super) struct Item {
    path: String,
    is_dir: bool,
}

/// Walks `root` without following links, checking names and kinds, sorted for stable errors.
pub(super) fn list(root: &Path, caps: &Caps) -> Result<Vec<Item>, IntakeError> {
    let mut items = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        let read_error = |source| IntakeError::Read {
            entry: dir.clone(),
            source,
        };
        let mut children = Vec::new();
        for child in fs::read_dir(root.join(&dir)).map_err(read_error)? {
            let child = child.map_err(read_error)?;
            // Counted as they are found, so a huge folder is refused before it is all listed.
            if (items.len() + children.len()) as u64 >= caps.max_entries {
                return Err(IntakeError::TooManyEntries {
                    limit: caps.max_entries,
                });
            }
            children.push((child.file_name(), child.file_type().map_err(read_error)?));
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, kind) in children {
            // Raw bytes, so a non-UTF-8 name gets the same refusal as in an archive.
            let mut joined = dir.as_bytes().to_vec();
            if !joined.is_empty() {
                joined.push(b'/');
            }
            joined.extend_from_slice(name.as_encoded_bytes());
            let path = clean(&joined)?;
            let is_dir = is_dir(kind, &path)?;
            if is_dir {
                pending.push(path.clone());
            }
            items.push(Item { path, is_dir });
        }
    }
    Ok(items)
}

/// Copies the listed items into the sink, re-checking each file as it is opened.
pub(super) fn copy(root: &Path, items: &[Item], sink: &mut Sink) -> Result<(), IntakeError> {
    for item in items {
        sink.entry()?;
        if item.is_dir {
            sink.dir(&item.path)?;
            continue;
        }
        let read_error = |source| IntakeError::Read {
            entry: item.path.clone(),
            source,
        };
        let mut file = open_no_follow(&root.join(&item.path)).map_err(read_error)?;
        // The folder may have changed since it was listed.
        if !file.metadata().map_err(read_error)?.is_file() {
            let kind = "no longer a regular file";
            return Err(IntakeError::NotFileOrFolder {
                entry: item.path.clone(),
                kind,
            });
        }
        sink.file(&item.path, &mut file)?;
    }
    Ok(())
}

/// Opens without following a link swapped in since listing, nor blocking on a FIFO.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(path)
}

fn is_dir(kind: FileType, path: &str) -> Result<bool, IntakeError> {
    if kind.is_dir() || kind.is_file() {
        return Ok(kind.is_dir());
    }
    Err(IntakeError::NotFileOrFolder {
        entry: path.to_string(),
        kind: describe(kind),
    })
}

fn describe(kind: FileType) -> &'static str {
    if kind.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}
