//! Streams a .tar.gz entry by entry.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use tar::EntryType;

use super::IntakeError;
use super::names::clean;
use super::sink::{Metered, Sink};

pub(super) fn unpack(file: File, read: Rc<Cell<u64>>, sink: &mut Sink) -> Result<(), IntakeError> {
    // The tar crate reads long names and pax headers into memory whole, so bound the whole
    // decompressed stream: the file bytes allowed, plus 4 KiB per entry for headers, long names
    // and padding.
    let caps = sink.caps();
    let limit = caps
        .max_total_bytes
        .saturating_add(caps.max_entries.saturating_mul(4096))
        .saturating_add(1 << 20);
    let streamed = Rc::new(Cell::new(0));
    let gz = MultiGzDecoder::new(Metered::new(file, read, u64::MAX));
    let mut archive = tar::Archive::new(Metered::new(gz, streamed.clone(), limit));
    let result = entries(&mut archive, sink).and_then(|()| {
        // Read to the end so a truncated or corrupt gzip trailer is noticed too.
        io::copy(&mut archive.into_inner(), &mut io::sink())
            .map(drop)
            .map_err(corrupt)
    });
    result.map_err(|e| {
        if streamed.get() > limit {
            IntakeError::StreamTooLarge { limit }
        } else {
            e
        }
    })
}

fn entries<R: Read>(archive: &mut tar::Archive<R>, sink: &mut Sink) -> Result<(), IntakeError> {
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        sink.entry()?;
        let kind = entry.header().entry_type();
        if kind == EntryType::XGlobalHeader {
            continue; // pax metadata for the whole archive (git archive writes one), not a file
        }
        let raw = entry.path_bytes().into_owned();
        let path = clean(&raw)?;
        match kind {
            // Old tars mark folders only by a trailing slash on a regular entry.
            EntryType::Regular | EntryType::Continuous if !raw.ends_with(b"/") => {
                sink.file(&path, &mut entry)?
            }
            EntryType::Regular | EntryType::Continuous | EntryType::Directory => sink.dir(&path)?,
            other => {
                return Err(IntakeError::NotFileOrFolder {
                    entry: path,
                    kind: describe(other),
                });
            }
        }
    }
    Ok(())
}

fn describe(kind: EntryType) -> &'static str {
    match kind {
        EntryType::Symlink => "a symbolic link",
        EntryType::Link => "a hard link",
        EntryType::Char => "a character device",
        EntryType::Block => "a block device",
        EntryType::Fifo => "a FIFO",
        EntryType::GNUSparse => "a sparse file",
        _ => "of an unsupported tar entry type",
    }
}

fn corrupt(e: io::Error) -> IntakeError {
    IntakeError::Corrupt {
        detail: e.to_string(),
    }
}
