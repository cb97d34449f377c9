//! A python-native run's working copy and `/tmp`, on the run's size-limited scratch file
//! system and owned by the sandbox's user.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Invocation;
use crate::gvisor::rundir::NOBODY;
use crate::gvisor::{RunDir, Runsc};
use crate::sandbox::{Baseline, CopyLimits, Diagnostic, DiagnosticKind, copy_tree};

/// Room for the copy while it is made, before the scratch is shrunk to copy plus quota.
const COPY_ROOM: u64 = 4 << 30;
const COPY_INODES: u64 = 200_000;

/// The run folder and what the run's files are.
pub struct Scratch {
    pub dir: RunDir,
    /// The working copy, `/work` inside.
    pub work: PathBuf,
    /// `/tmp` inside.
    pub tmp: PathBuf,
    /// The assignment's public data, mounted read-only over `/work/data`.
    pub public_data: Option<PathBuf>,
    pub baseline: Baseline,
    pub notes: Vec<Diagnostic>,
}

/// Makes the run folder, copies `folder` into its scratch file system, then limits the
/// scratch to the copy plus the run's disk quota (`out_bytes`, `out_files`).
pub fn prepare(runsc: &Runsc, folder: &Path, invocation: &Invocation) -> anyhow::Result<Scratch> {
    let dir = runsc.prepare(COPY_ROOM, COPY_INODES)?;
    let scratch = dir.scratch();
    let work = scratch.join("work");
    let tmp = scratch.join("tmp");
    let mut baseline = copy_tree(folder, &work, CopyLimits::default())?;
    if !work.join("out").exists() {
        baseline.ensure_dir(&work.join("out"))?;
    }
    let own_data = work.join("data");
    let mut notes = Vec::new();
    let public_data = match &invocation.data {
        Some(data) => {
            if own_data.exists() {
                notes.push(Diagnostic {
                    kind: DiagnosticKind::DataShadowed,
                    detail: "data/".into(),
                    count: 1,
                    message: "the submission's own data/ is hidden: the assignment's public \
                              data is mounted read-only at /work/data in its place"
                        .into(),
                });
            } else {
                baseline.ensure_dir(&own_data)?;
            }
            Some(data.clone())
        }
        None => {
            if !own_data.exists() {
                baseline.ensure_dir(&own_data)?;
            }
            None
        }
    };
    std::fs::create_dir_all(&tmp)?;
    give_to_nobody(&scratch)?;
    let (free_bytes, free_inodes) = dir.scratch_free();
    let used = COPY_ROOM.saturating_sub(free_bytes);
    let used_inodes = COPY_INODES.saturating_sub(free_inodes);
    let limits = &invocation.limits;
    // Rounded up to whole pages by the kernel; a little slack for folders' own pages.
    dir.resize_scratch(
        used + limits.out_bytes.0 + (1 << 20),
        used_inodes + limits.out_files + 16,
    )
    .context("cannot limit the run's scratch file system")?;
    Ok(Scratch {
        dir,
        work,
        tmp,
        public_data,
        baseline,
        notes,
    })
}

/// Makes every entry under `root` owned by the sandbox's user (links themselves, not what
/// they point at).
fn give_to_nobody(root: &Path) -> anyhow::Result<()> {
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let c = CString::new(path.as_os_str().as_bytes())
            .with_context(|| format!("{} has a NUL byte", path.display()))?;
        // SAFETY: lchown(2) on a NUL-terminated path.
        if unsafe { libc::lchown(c.as_ptr(), NOBODY, NOBODY) } != 0 {
            anyhow::bail!(
                "cannot hand {} to the sandbox's user: {}",
                path.display(),
                std::io::Error::last_os_error()
            );
        }
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                pending.push(entry?.path());
            }
        }
    }
    Ok(())
}
