//! Unpacks one upload (a folder, a .zip or a .tar.gz) into a fresh folder, refusing the whole
//! upload at the first sign of hostility: escaping paths, links and devices, name collisions,
//! and anything over the [`Caps`]. On error the fresh folder is removed.

mod folder;
mod names;
mod sink;
mod targz;
mod zipfile;

use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::base::FileRef;
use sink::{Packed, Sink};

/// Limits on what one upload may unpack to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Most entries (files and folders, including folders only implied by a file's path).
    /// Default 10,000.
    pub max_entries: u64,
    /// Most bytes all files may add up to, counted as they are decompressed. Default 256 MiB.
    pub max_total_bytes: u64,
    /// Most bytes any one file may hold, counted as it is decompressed. Default 64 MiB.
    pub max_file_bytes: u64,
    /// Most an archive, or one entry in it, may expand over its compressed size (judged once
    /// past 1 MiB, so small repetitive files pass). Default 200.
    pub max_ratio: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            max_entries: 10_000,
            max_total_bytes: 256 << 20,
            max_file_bytes: 64 << 20,
            max_ratio: 200,
        }
    }
}

/// A successfully unpacked upload. Dropping it removes the folder.
#[derive(Debug)]
pub struct Unpacked {
    /// The fresh folder, created inside the `parent` given to [`unpack`].
    pub dir: TempDir,
    /// Every regular file, sorted by path. Folders are created but not listed.
    pub files: Vec<FileRef>,
}

/// Why an upload was refused. Messages name the offending entry and the rule it broke.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("cannot read the upload {path:?}: {source}")]
    Upload { path: PathBuf, source: io::Error },
    #[error("the upload is not a folder, a .zip or a .tar.gz: {detail}")]
    UnknownFormat { detail: String },
    #[error("entry name is not UTF-8: \"{entry}\"")]
    NotUtf8 { entry: String },
    #[error("entry {entry:?} {why}")]
    BadPath { entry: String, why: &'static str },
    #[error("entry {entry:?} is {kind}; archives may hold only files and folders")]
    NotFileOrFolder { entry: String, kind: &'static str },
    #[error("entry {entry:?} is encrypted; password-protected archives are not accepted")]
    Encrypted { entry: String },
    #[error("entry {entry:?} appears more than once")]
    Duplicate { entry: String },
    #[error("entries {first:?} and {second:?} differ only in case")]
    CaseCollision { first: String, second: String },
    #[error("entry {entry:?} is both a file and a folder")]
    FileAndFolder { entry: String },
    #[error("the archive holds more than {limit} entries")]
    TooManyEntries { limit: u64 },
    #[error("entry {entry:?} is larger than the limit of {limit} bytes")]
    FileTooLarge { entry: String, limit: u64 },
    #[error("the files add up to more than the limit of {limit} bytes (passed at entry {entry:?})")]
    TotalTooLarge { entry: String, limit: u64 },
    #[error(
        "entry {entry:?} expands {ratio}x (over the limit of {limit}x): refusing a possible zip bomb"
    )]
    EntryRatio {
        entry: String,
        ratio: u64,
        limit: u64,
    },
    #[error(
        "the archive expands {ratio}x (over the limit of {limit}x): refusing a possible zip bomb"
    )]
    ArchiveRatio { ratio: u64, limit: u64 },
    #[error(
        "the tar stream runs past {limit} bytes of headers and data: refusing a possible tar bomb"
    )]
    StreamTooLarge { limit: u64 },
    #[error("entry {entry:?} uses something this intake does not support: {detail}")]
    Unsupported { entry: String, detail: String },
    #[error("the archive is truncated or corrupt: {detail}")]
    Corrupt { detail: String },
    #[error("cannot read entry {entry:?}: {source}")]
    Read { entry: String, source: io::Error },
    #[error("cannot write entry {entry:?}: {source}")]
    Write { entry: String, source: io::Error },
    #[error("cannot create a fresh folder in {parent:?}: {source}")]
    FreshFolder { parent: PathBuf, source: io::Error },
}

/// Unpacks `source` (a folder, a .zip or a .tar.gz, told apart by content, not by name) into a
/// fresh folder inside `parent`. On any error the fresh folder is removed again.
pub fn unpack(source: &Path, parent: &Path, caps: &Caps) -> Result<Unpacked, IntakeError> {
    let upload_err = |e: io::Error| IntakeError::Upload {
        path: source.to_path_buf(),
        source: e,
    };
    let meta = fs::metadata(source).map_err(upload_err)?;
    if meta.is_dir() {
        // List first, so the fresh folder (which may sit inside `source`) is not part of it.
        let listing = folder::list(source, caps)?;
        return fill(parent, caps, None, |sink| {
            folder::copy(source, &listing, sink)
        });
    }
    if !meta.is_file() {
        let detail = "it is neither a folder nor a regular file".to_string();
        return Err(IntakeError::UnknownFormat { detail });
    }
    let mut file = File::open(source).map_err(upload_err)?;
    let archive_len = file.metadata().map_err(upload_err)?.len();
    let magic = read_magic(&mut file).map_err(upload_err)?;
    let read = Rc::new(Cell::new(0));
    let packed = Some(Packed {
        read: read.clone(),
        archive_len,
    });
    match Format::of(&magic) {
        Some(Format::Zip) => fill(parent, caps, packed, |sink| {
            zipfile::unpack(file, read, sink)
        }),
        Some(Format::TarGz) => fill(parent, caps, packed, |sink| targz::unpack(file, read, sink)),
        None if magic.is_empty() => Err(IntakeError::UnknownFormat {
            detail: "the file is empty".to_string(),
        }),
        None => {
            let start = magic.escape_ascii().to_string();
            let detail = format!("its content starts with \"{start}\", neither zip nor gzip");
            Err(IntakeError::UnknownFormat { detail })
        }
    }
}

/// One hash over the sorted (path, sha256) list: identical files give the identical hash,
/// whatever their order, the empty folders beside them, or the format they came in.
pub fn sha256_tree(files: &[FileRef]) -> String {
    let mut sorted: Vec<&FileRef> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut hasher = Sha256::new();
    for file in sorted {
        // Paths hold no NUL and hex holds no newline, so the encoding is unambiguous.
        hasher.update(file.path.as_bytes());
        hasher.update([0]);
        hasher.update(file.sha256.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

#[derive(Debug, PartialEq, Eq)]
enum Format {
    Zip,
    TarGz,
}

impl Format {
    fn of(magic: &[u8]) -> Option<Format> {
        match magic {
            [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Some(Format::Zip),
            [0x1f, 0x8b, ..] => Some(Format::TarGz),
            _ => None,
        }
    }
}

/// Reads up to the first 4 bytes, then rewinds.
fn read_magic(file: &mut File) -> io::Result<Vec<u8>> {
    let mut magic = Vec::with_capacity(4);
    file.by_ref().take(4).read_to_end(&mut magic)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(magic)
}

/// Makes the fresh folder, lets `body` fill it, and removes it again if `body` fails.
fn fill(
    parent: &Path,
    caps: &Caps,
    packed: Option<Packed>,
    body: impl FnOnce(&mut Sink) -> Result<(), IntakeError>,
) -> Result<Unpacked, IntakeError> {
    let dir = tempfile::Builder::new()
        .prefix("submission-")
        .tempdir_in(parent)
        .map_err(|source| IntakeError::FreshFolder {
            parent: parent.to_path_buf(),
            source,
        })?;
    let mut sink = Sink::new(dir.path(), caps, packed);
    match body(&mut sink) {
        Ok(()) => {
            let files = sink.finish();
            Ok(Unpacked { dir, files })
        }
        Err(e) => {
            drop(sink);
            let path = dir.path().to_path_buf();
            // The refusal is what the caller needs; a failed clean-up is only logged.
            if let Err(cleanup) = dir.close() {
                tracing::warn!("could not remove refused upload at {path:?}: {cleanup}");
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha: &str) -> FileRef {
        FileRef {
            path: path.into(),
            bytes: 1,
            sha256: sha.into(),
        }
    }

    #[test]
    fn tree_hash_ignores_order_but_not_content_or_names() {
        let a = [file("a", "11"), file("b/c", "22")];
        let swapped = [file("b/c", "22"), file("a", "11")];
        assert_eq!(sha256_tree(&a), sha256_tree(&swapped));
        assert_ne!(
            sha256_tree(&a),
            sha256_tree(&[file("a", "11"), file("b/c", "23")])
        );
        assert_ne!(
            sha256_tree(&a),
            sha256_tree(&[file("a", "11"), file("b/d", "22")])
        );
        assert_eq!(sha256_tree(&[]).len(), 64);
    }

    #[test]
    fn format_is_told_by_magic_bytes() {
        assert_eq!(Format::of(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(Format::of(b"PK\x05\x06"), Some(Format::Zip));
        assert_eq!(Format::of(b"\x1f\x8b\x08\x00"), Some(Format::TarGz));
        assert_eq!(Format::of(b"ustar"), None);
        assert_eq!(Format::of(b""), None);
    }
}
