//! Writes checked entries into the fresh folder, enforcing the caps on the bytes actually read.

use std::cell::Cell;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::names::Names;
use super::{Caps, IntakeError};
use crate::base::FileRef;

/// Ratios are judged only past this many bytes, so small repetitive files pass.
const RATIO_GRACE: u64 = 1 << 20;
/// Decoders read ahead (32 KiB in flate2), so part of an entry's input may have been counted
/// before it began: crediting this much keeps a per-entry ratio from ever being overstated.
const READ_AHEAD: u64 = 64 << 10;

/// How much compressed input has been read so far, for the compression-ratio caps.
pub(super) struct Packed {
    pub(super) read: Rc<Cell<u64>>,
    pub(super) archive_len: u64,
}

/// Counts the bytes pulled through it, and fails once past `limit`. Counting real reads (not
/// sizes claimed in headers) is what lets the caps stop a bomb early.
pub(super) struct Metered<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    limit: u64,
}

impl<R> Metered<R> {
    pub(super) fn new(inner: R, count: Rc<Cell<u64>>, limit: u64) -> Self {
        Metered {
            inner,
            count,
            limit,
        }
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let count = self.count.get().saturating_add(n as u64);
        self.count.set(count);
        if count > self.limit {
            return Err(io::Error::other("stream limit passed"));
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for Metered<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The fresh folder being filled, with the running totals the caps apply to.
pub(super) struct Sink<'a> {
    root: &'a Path,
    caps: &'a Caps,
    packed: Option<Packed>,
    names: Names,
    files: Vec<FileRef>,
    entries: u64,
    total: u64,
}

impl<'a> Sink<'a> {
    pub(super) fn new(root: &'a Path, caps: &'a Caps, packed: Option<Packed>) -> Self {
        let names = Names::new(caps.max_entries);
        Sink {
            root,
            caps,
            packed,
            names,
            files: Vec::new(),
            entries: 0,
            total: 0,
        }
    }

    pub(super) fn caps(&self) -> &Caps {
        self.caps
    }

    /// Counts one entry of the upload, whatever it turns out to be.
    pub(super) fn entry(&mut self) -> Result<(), IntakeError> {
        self.entries += 1;
        if self.entries > self.caps.max_entries {
            return Err(IntakeError::TooManyEntries {
                limit: self.caps.max_entries,
            });
        }
        Ok(())
    }

    /// Adds a folder by its cleaned path ("" is the submission folder itself).
    pub(super) fn dir(&mut self, path: &str) -> Result<(), IntakeError> {
        if path.is_empty() {
            return Ok(());
        }
        let new_dirs = self.names.claim(path, true)?;
        self.make_dirs(&new_dirs)
    }

    /// Adds a regular file by its cleaned path, copying `body` under the caps.
    pub(super) fn file(&mut self, path: &str, body: &mut dyn Read) -> Result<(), IntakeError> {
        if path.is_empty() {
            let why = "names the submission folder itself, not a file";
            return Err(IntakeError::BadPath {
                entry: path.to_string(),
                why,
            });
        }
        let new_dirs = self.names.claim(path, false)?;
        self.make_dirs(&new_dirs)?;
        // create_new: never overwrite, and never follow a link planted at the target.
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.root.join(path))
            .map_err(|source| IntakeError::Write {
                entry: path.to_string(),
                source,
            })?;
        let (bytes, sha256) = self.copy(path, body, &mut out)?;
        self.files.push(FileRef {
            path: path.to_string(),
            bytes,
            sha256,
        });
        Ok(())
    }

    /// The files written, sorted by path.
    pub(super) fn finish(mut self) -> Vec<FileRef> {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.files
    }

    fn make_dirs(&self, dirs: &[String]) -> Result<(), IntakeError> {
        for dir in dirs {
            fs::create_dir(self.root.join(dir)).map_err(|source| IntakeError::Write {
                entry: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }

    fn copy(
        &mut self,
        path: &str,
        body: &mut dyn Read,
        out: &mut fs::File,
    ) -> Result<(u64, String), IntakeError> {
        let start = self.packed.as_ref().map_or(0, |p| p.read.get());
        let mut buf = vec![0u8; 64 * 1024];
        let mut bytes = 0u64;
        let mut hasher = Sha256::new();
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(path, e)),
            };
            bytes += n as u64;
            self.total += n as u64;
            self.check_caps(path, bytes, start)?;
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|source| IntakeError::Write {
                    entry: path.to_string(),
                    source,
                })?;
        }
        Ok((bytes, hex::encode(hasher.finalize())))
    }

    fn check_caps(&self, path: &str, bytes: u64, start: u64) -> Result<(), IntakeError> {
        let caps = self.caps;
        let entry = || path.to_string();
        if bytes > caps.max_file_bytes {
            return Err(IntakeError::FileTooLarge {
                entry: entry(),
                limit: caps.max_file_bytes,
            });
        }
        if self.total > caps.max_total_bytes {
            return Err(IntakeError::TotalTooLarge {
                entry: entry(),
                limit: caps.max_total_bytes,
            });
        }
        let Some(packed) = &self.packed else {
            return Ok(());
        };
        let limit = caps.max_ratio;
        let entry_packed = packed
            .read
            .get()
            .saturating_sub(start)
            .saturating_add(READ_AHEAD);
        if let Some(ratio) = over_ratio(bytes, entry_packed, limit) {
            return Err(IntakeError::EntryRatio {
                entry: entry(),
                ratio,
                limit,
            });
        }
        if let Some(ratio) = over_ratio(self.total, packed.archive_len, limit) {
            return Err(IntakeError::ArchiveRatio { ratio, limit });
        }
        Ok(())
    }

    fn read_error(&self, path: &str, source: io::Error) -> IntakeError {
        match self.packed {
            Some(_) => IntakeError::Corrupt {
                detail: format!("entry {path:?}: {source}"),
            },
            None => IntakeError::Read {
                entry: path.to_string(),
                source,
            },
        }
    }
}

/// `Some(ratio)` when `out` bytes from `packed` bytes is past the grace and over `limit`.
fn over_ratio(out: u64, packed: u64, limit: u64) -> Option<u64> {
    let packed = packed.max(1);
    (out > RATIO_GRACE && out > packed.saturating_mul(limit)).then(|| out.div_ceil(packed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_judged_only_past_the_grace() {
        assert_eq!(over_ratio(RATIO_GRACE, 1, 200), None, "small files pass");
        assert_eq!(over_ratio(RATIO_GRACE + 1, 1, 200), Some(RATIO_GRACE + 1));
        assert_eq!(
            over_ratio(200 << 20, 1 << 20, 200),
            None,
            "exactly at the limit passes"
        );
        assert_eq!(over_ratio((200 << 20) + 1, 1 << 20, 200), Some(201));
        assert_eq!(over_ratio(u64::MAX, 0, u64::MAX), None, "no overflow");
    }

    #[test]
    fn metered_counts_and_stops_at_the_limit() {
        let count = Rc::new(Cell::new(0));
        let mut m = Metered::new(&[7u8; 10][..], count.clone(), 8);
        let mut buf = [0u8; 4];
        assert_eq!(m.read(&mut buf).unwrap(), 4);
        assert_eq!(m.read(&mut buf).unwrap(), 4);
        assert!(m.read(&mut buf).is_err());
        assert_eq!(count.get(), 10);
    }
}
