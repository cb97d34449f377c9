//! Reads a .zip entry by entry from its central directory.

use std::cell::Cell;
use std::fs::File;
use std::rc::Rc;

use zip::read::{Config, ZipFileEntry};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipReadOptions};
// Marked unstable (may change in a patch release): Cargo.lock pins the zip version.
use zip::unstable::read::ZipIterable;

use super::IntakeError;
use super::names::clean;
use super::sink::{Metered, Sink};

/// File-type bits of a Unix mode, as zip stores them in the external attributes.
const S_IFMT: u32 = 0o170000;

pub(super) fn unpack(file: File, read: Rc<Cell<u64>>, sink: &mut Sink) -> Result<(), IntakeError> {
    // ZipIterable reads only the end record up front and keeps duplicate names, unlike
    // ZipArchive, which indexes every entry (memory) and silently merges duplicates.
    let mut zip = ZipIterable::try_new(Metered::new(file, read, u64::MAX), Config::default())
        .map_err(corrupt)?
        // Refuse entries whose local header disagrees with the central directory.
        .enforce_header_consistency(true);
    let limit = sink.caps().max_entries;
    if zip.len() as u64 > limit {
        return Err(IntakeError::TooManyEntries { limit });
    }
    let files = zip.files().map_err(corrupt)?;
    while let Some(entry) = files.next() {
        let entry = entry.map_err(corrupt)?;
        sink.entry()?;
        let path = clean(entry.name_raw())?;
        let is_dir = kind(&entry, &path)?;
        if entry.encrypted() {
            return Err(IntakeError::Encrypted { entry: path });
        }
        if is_dir {
            sink.dir(&path)?;
            continue;
        }
        let method = entry.compression();
        if !matches!(
            method,
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            let detail = format!("compression method {method} (only stored and deflated are read)");
            return Err(IntakeError::Unsupported {
                entry: path,
                detail,
            });
        }
        let mut body = entry
            .with_reader(files.reader_mut(), ZipReadOptions::new())
            .map_err(|e| entry_error(&path, e))?;
        sink.file(&path, &mut body)?;
    }
    Ok(())
}

/// `Ok(true)` for a folder, `Ok(false)` for a regular file, an error for anything else.
fn kind(entry: &ZipFileEntry, path: &str) -> Result<bool, IntakeError> {
    let refuse = |kind| {
        Err(IntakeError::NotFileOrFolder {
            entry: path.to_string(),
            kind,
        })
    };
    match entry.unix_mode().map_or(0, |mode| mode & S_IFMT) {
        // No mode, or a regular file: the trailing slash tells folders apart.
        0 | 0o100000 => Ok(entry.name_raw().ends_with(b"/")),
        0o040000 => Ok(true),
        0o120000 => refuse("a symbolic link"),
        0o020000 => refuse("a character device"),
        0o060000 => refuse("a block device"),
        0o010000 => refuse("a FIFO"),
        0o140000 => refuse("a socket"),
        _ => refuse("of an unknown file type"),
    }
}

fn entry_error(path: &str, e: ZipError) -> IntakeError {
    match e {
        ZipError::UnsupportedArchive(detail) => IntakeError::Unsupported {
            entry: path.to_string(),
            detail: detail.to_string(),
        },
        ZipError::CompressionMethodNotSupported(method) => IntakeError::Unsupported {
            entry: path.to_string(),
            detail: format!("compression method {method}"),
        },
        other => IntakeError::Corrupt {
            detail: format!("entry {path:?}: {other}"),
        },
    }
}

fn corrupt(e: ZipError) -> IntakeError {
    IntakeError::Corrupt {
        detail: e.to_string(),
    }
}
