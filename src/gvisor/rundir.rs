//! The host side of one gVisor run: its folder under the cache (bundle, runsc state, the
//! size-limited scratch file system), its container and cgroup, all removed when it is
//! dropped; and the sweep that removes what a killed harness left behind.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};

use super::cgroup::{self, Cgroup};

/// Every run id starts with this, then the harness's pid: `thg-PID-N`.
pub const PREFIX: &str = "thg-";

/// The uid and gid the program runs as, inside and on the scratch files.
pub const NOBODY: u32 = 65534;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// One run's folder, container and cgroup. Dropping it (also on an error path or a panic)
/// kills and deletes the container, removes the cgroup, unmounts the scratch file system
/// and removes the folder.
pub struct RunDir {
    pub id: String,
    pub dir: PathBuf,
    runsc: PathBuf,
    pub(super) cgroup: Option<Cgroup>,
    mounted: bool,
}

impl RunDir {
    /// Makes `ROOT/thg-PID-N` with a scratch tmpfs of `bytes` and `inodes` at `scratch()`,
    /// owned by the sandbox's user.
    pub fn create(root: &Path, runsc: &Path, bytes: u64, inodes: u64) -> anyhow::Result<RunDir> {
        let id = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = root.join(&id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        let mut run = RunDir {
            id,
            dir,
            runsc: runsc.to_path_buf(),
            cgroup: None,
            mounted: false,
        };
        for sub in ["state", "bundle", "scratch"] {
            std::fs::create_dir_all(run.dir.join(sub))
                .with_context(|| format!("cannot make {}", run.dir.join(sub).display()))?;
        }
        run.mount_scratch(bytes, inodes)?;
        Ok(run)
    }

    pub fn state(&self) -> PathBuf {
        self.dir.join("state")
    }

    pub fn bundle(&self) -> PathBuf {
        self.dir.join("bundle")
    }

    /// The size-limited file system holding the working copy and `/tmp`.
    pub fn scratch(&self) -> PathBuf {
        self.dir.join("scratch")
    }

    fn mount_scratch(&mut self, bytes: u64, inodes: u64) -> anyhow::Result<()> {
        let target = self.scratch();
        let options = format!("size={bytes},nr_inodes={inodes},mode=0755");
        mount_tmpfs(&target, &options, false)?;
        self.mounted = true;
        Ok(())
    }

    /// Shrinks or grows the scratch file system (to what the copy holds plus the quota).
    pub fn resize_scratch(&self, bytes: u64, inodes: u64) -> anyhow::Result<()> {
        let options = format!("size={bytes},nr_inodes={inodes},mode=0755");
        mount_tmpfs(&self.scratch(), &options, true)
    }

    /// Bytes and inodes still free on the scratch file system.
    pub fn scratch_free(&self) -> (u64, u64) {
        let Ok(path) = CString::new(self.scratch().as_os_str().as_bytes()) else {
            return (0, 0);
        };
        // SAFETY: statvfs(3) on a NUL-terminated path into a zeroed struct.
        unsafe {
            let mut stat: libc::statvfs = std::mem::zeroed();
            if libc::statvfs(path.as_ptr(), &mut stat) != 0 {
                return (0, 0);
            }
            (
                stat.f_bavail as u64 * stat.f_frsize as u64,
                stat.f_favail as u64,
            )
        }
    }

    /// `runsc kill ID KILL`: the container's processes die; the container stays until deleted.
    pub fn kill(&self) {
        runsc_quiet(&self.runsc, &self.state(), &["kill", &self.id, "KILL"]);
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        remove_run(&self.runsc, &self.dir, &self.id, self.mounted);
        self.cgroup = None;
    }
}

/// Removes everything of the run `id` kept in `dir`: container, cgroup, mounts, folder.
fn remove_run(runsc: &Path, dir: &Path, id: &str, mounted: bool) {
    let state = dir.join("state");
    if state.is_dir() {
        runsc_quiet(runsc, &state, &["kill", id, "KILL"]);
        runsc_quiet(runsc, &state, &["delete", "--force", id]);
    }
    cgroup::remove_everywhere(id);
    if mounted || is_mounted_under(dir) {
        unmount_under(dir);
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn runsc_quiet(runsc: &Path, state: &Path, args: &[&str]) {
    let _ = Command::new(runsc)
        .arg("--root")
        .arg(state)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn mount_tmpfs(target: &Path, options: &str, remount: bool) -> anyhow::Result<()> {
    let c = |s: &[u8]| CString::new(s).expect("no NUL in mount arguments");
    let (source, kind, data) = (c(b"tmpfs"), c(b"tmpfs"), c(options.as_bytes()));
    let target_c = CString::new(target.as_os_str().as_bytes())
        .with_context(|| format!("{} has a NUL byte", target.display()))?;
    let mut flags = libc::MS_NOSUID | libc::MS_NODEV;
    if remount {
        flags |= libc::MS_REMOUNT;
    }
    // SAFETY: mount(2) with NUL-terminated strings that live across the call.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target_c.as_ptr(),
            kind.as_ptr(),
            flags,
            data.as_ptr().cast(),
        )
    };
    if rc != 0 {
        bail!(
            "cannot mount a tmpfs ({options}) at {}: {} (the gVisor tier runs as root)",
            target.display(),
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// The mount points under `dir`, deepest first, from /proc/self/mountinfo.
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut found: Vec<PathBuf> = text
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found
}

fn is_mounted_under(dir: &Path) -> bool {
    !mounts_under(dir).is_empty()
}

fn unmount_under(dir: &Path) {
    for point in mounts_under(dir) {
        if let Ok(c) = CString::new(point.as_os_str().as_bytes()) {
            // SAFETY: umount2(2) on a NUL-terminated path; detached so a busy mount goes too.
            unsafe {
                libc::umount2(c.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
}

/// Whether the harness that made the run `id` (`thg-PID-N`) is gone.
fn is_stale(id: &str) -> bool {
    let Some(pid) = id
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split('-').next())
        .and_then(|pid| pid.parse::<u32>().ok())
    else {
        return false;
    };
    pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes the runs under `root` (and their cgroups) whose harness is no longer alive: a
/// harness killed mid-run leaves its container, cgroup, mount and folders to this sweep.
pub fn sweep(root: &Path, runsc: &Path) {
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        if id.starts_with(PREFIX) && is_stale(&id) {
            remove_run(runsc, &entry.path(), &id, false);
        }
    }
    for id in cgroup::ids() {
        if id.starts_with(PREFIX) && is_stale(&id) {
            cgroup::remove_everywhere(&id);
        }
    }
}
