//! The disk quota of a run's writable folders.
//!
//! Each write is charged, before the host makes it, with how much it grows its file (see
//! `shadow::writes`); shrinking is not credited, so the running estimate can only be high.
//! Only when it passes the limit is the real usage measured, by walking the folders without
//! following links. So ordinary runs never walk, and no write takes the folders past the
//! quota: a write that would is refused before it happens.
//!
//! A working copy's own files, as copied in, are not counted: only what the run created or
//! changed is (see [`Baseline`]). So the host never holds more than the copy plus the quota.

use std::path::PathBuf;
use std::sync::Arc;

use super::workcopy::Baseline;

/// Measured usage of the writable folders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Sum of the apparent sizes of regular files (sparse files count in full).
    pub bytes: u64,
    /// Files, folders and links below the roots.
    pub entries: u64,
    /// Why part of the folders could not be measured, if so. The guest can nest folders
    /// through relative opens until their host paths are longer than the host can open
    /// (PATH_MAX); what lies below would go uncounted, so an unmeasurable tree is over quota.
    pub unmeasured: Option<String>,
}

/// Walks `roots`, never following links, leaving out what is as `baseline` says it was.
/// Stops early once `entry_cap` entries were seen.
pub fn measure(roots: &[PathBuf], entry_cap: u64, baseline: &Baseline) -> Usage {
    let mut usage = Usage::default();
    let mut pending: Vec<PathBuf> = roots.to_vec();
    while let Some(dir) = pending.pop() {
        let listing = match std::fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(e) => {
                usage.unmeasured.get_or_insert(e.to_string());
                continue;
            }
        };
        for entry in listing {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    usage.unmeasured.get_or_insert(e.to_string());
                    continue;
                }
            };
            let meta = match std::fs::symlink_metadata(entry.path()) {
                Ok(meta) => meta,
                Err(e) => {
                    usage.unmeasured.get_or_insert(e.to_string());
                    continue;
                }
            };
            if baseline.unchanged(&entry.path(), &meta) {
                if meta.is_dir() {
                    pending.push(entry.path());
                }
                continue;
            }
            usage.entries += 1;
            if usage.entries > entry_cap {
                return usage;
            }
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                usage.bytes = usage.bytes.saturating_add(meta.len());
            }
        }
    }
    usage
}

/// Why the quota refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuotaExceeded {
    #[error("the writable folders would hold {used} bytes, over the limit of {limit}")]
    Bytes { used: u64, limit: u64 },
    #[error("the writable folders would hold {used} entries, over the limit of {limit} files")]
    Entries { used: u64, limit: u64 },
    #[error(
        "the writable folders hold entries that cannot be measured ({0}), so they count as over quota"
    )]
    Unmeasured(String),
}

/// The running account of one run's writable folders.
#[derive(Debug)]
pub struct Quota {
    roots: Vec<PathBuf>,
    baseline: Arc<Baseline>,
    byte_limit: u64,
    entry_limit: u64,
    estimated_bytes: u64,
    estimated_entries: u64,
}

impl Quota {
    /// The quota of `roots` (a root inside another is measured once, as part of it).
    pub fn new(
        roots: Vec<PathBuf>,
        baseline: Arc<Baseline>,
        byte_limit: u64,
        entry_limit: u64,
    ) -> Self {
        let roots: Vec<PathBuf> = roots
            .iter()
            .filter(|root| {
                !roots
                    .iter()
                    .any(|other| other != *root && root.starts_with(other))
            })
            .cloned()
            .collect();
        let mut quota = Quota {
            roots,
            baseline,
            byte_limit,
            entry_limit,
            estimated_bytes: 0,
            estimated_entries: 0,
        };
        let start = quota.measure();
        quota.estimated_bytes = start.bytes;
        quota.estimated_entries = start.entries;
        quota
    }

    pub fn has_roots(&self) -> bool {
        !self.roots.is_empty()
    }

    pub fn measure(&self) -> Usage {
        measure(
            &self.roots,
            self.entry_limit.saturating_add(1),
            &self.baseline,
        )
    }

    /// Measures, refusing a tree that could not be measured whole.
    fn measure_fully(&self) -> Result<Usage, QuotaExceeded> {
        let real = self.measure();
        match real.unmeasured {
            Some(why) => Err(QuotaExceeded::Unmeasured(why)),
            None => Ok(real),
        }
    }

    /// Before a write of `len` bytes: refuses when even the real usage leaves no room.
    pub fn before_write(&mut self, len: u64) -> Result<(), QuotaExceeded> {
        if self.estimated_bytes.saturating_add(len) <= self.byte_limit {
            return Ok(());
        }
        let real = self.measure_fully()?;
        self.estimated_bytes = real.bytes;
        let used = real.bytes.saturating_add(len);
        if used > self.byte_limit {
            return Err(QuotaExceeded::Bytes {
                used,
                limit: self.byte_limit,
            });
        }
        Ok(())
    }

    /// Measures now, when the estimate has passed the limit.
    fn recheck(&mut self) -> Result<(), QuotaExceeded> {
        let real = self.measure_fully()?;
        self.estimated_bytes = real.bytes;
        if real.bytes > self.byte_limit {
            return Err(QuotaExceeded::Bytes {
                used: real.bytes,
                limit: self.byte_limit,
            });
        }
        Ok(())
    }

    /// After something that may have grown a file by up to `growth` bytes.
    pub fn grew(&mut self, growth: u64) -> Result<(), QuotaExceeded> {
        self.estimated_bytes = self.estimated_bytes.saturating_add(growth);
        if self.estimated_bytes <= self.byte_limit {
            return Ok(());
        }
        self.recheck()
    }

    /// After something that may have created one entry.
    pub fn created(&mut self) -> Result<(), QuotaExceeded> {
        self.estimated_entries += 1;
        if self.estimated_entries <= self.entry_limit {
            return Ok(());
        }
        let real = self.measure_fully()?;
        self.estimated_entries = real.entries;
        if real.entries > self.entry_limit {
            return Err(QuotaExceeded::Entries {
                used: real.entries,
                limit: self.entry_limit,
            });
        }
        Ok(())
    }

    /// The final check when the run is over.
    pub fn settle(&self) -> Result<Usage, QuotaExceeded> {
        let real = self.measure_fully()?;
        if real.entries > self.entry_limit {
            return Err(QuotaExceeded::Entries {
                used: real.entries,
                limit: self.entry_limit,
            });
        }
        if real.bytes > self.byte_limit {
            return Err(QuotaExceeded::Bytes {
                used: real.bytes,
                limit: self.byte_limit,
            });
        }
        Ok(real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_refuses_only_when_real_usage_is_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut quota = Quota::new(vec![dir.path().to_path_buf()], Arc::default(), 100, 10);
        std::fs::write(dir.path().join("a"), [0u8; 60]).unwrap();
        quota.grew(60).unwrap();
        // Overwriting the same 60 bytes twice more looks like 180 bytes to the estimate.
        quota.grew(60).unwrap();
        quota.grew(60).unwrap();
        assert!(quota.before_write(50).is_err());
        assert!(quota.before_write(40).is_ok());
    }

    #[test]
    fn entries_are_counted_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(outside.path().join(i.to_string()), b"x").unwrap();
        }
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let usage = measure(&[dir.path().to_path_buf()], 100, &Baseline::default());
        assert_eq!(
            usage,
            Usage {
                bytes: 0,
                entries: 1,
                unmeasured: None,
            }
        );
    }

    #[test]
    fn sparse_files_count_at_apparent_size() {
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::create(dir.path().join("sparse")).unwrap();
        file.set_len(1 << 30).unwrap();
        let quota = Quota::new(vec![dir.path().to_path_buf()], Arc::default(), 1 << 20, 10);
        assert!(matches!(quota.settle(), Err(QuotaExceeded::Bytes { .. })));
    }

    #[test]
    fn only_what_changed_in_a_working_copy_counts_and_nested_roots_count_once() {
        let source = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(source.path().join("data")).unwrap();
        std::fs::write(source.path().join("data/big.csv"), [b'x'; 5000]).unwrap();
        std::fs::write(source.path().join("main.py"), [b'y'; 100]).unwrap();
        let dest = tempfile::tempdir().unwrap();
        let work = dest.path().join("work");
        let baseline = super::super::workcopy::copy_tree(
            source.path(),
            &work,
            super::super::workcopy::CopyLimits::default(),
        )
        .unwrap();
        let roots = vec![work.clone(), work.join("data")];
        let quota = Quota::new(roots, Arc::new(baseline), 1000, 3);
        assert_eq!(quota.settle().unwrap().bytes, 0);
        std::fs::write(work.join("main.py"), [b'z'; 300]).unwrap();
        std::fs::write(work.join("data/new.csv"), [b'z'; 200]).unwrap();
        let usage = quota.settle().unwrap();
        assert_eq!((usage.bytes, usage.entries), (500, 2));
        std::fs::write(work.join("data/big.csv"), [b'q'; 5000]).unwrap();
        assert!(matches!(quota.settle(), Err(QuotaExceeded::Bytes { .. })));
    }
}
