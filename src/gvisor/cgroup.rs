//! The cgroup (v1) of one gVisor run: made by the harness, limits written by it, counters
//! read after the run, removed with any task left in it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Where cgroup v1 hierarchies are mounted.
const ROOT: &str = "/sys/fs/cgroup";
/// The folder, in every hierarchy, holding one cgroup per run.
pub const PARENT: &str = "takehome-gvisor";

/// Fails, saying what is needed, unless this machine has cgroup v1 hierarchies (the only
/// layout this tier drives so far).
pub fn check_v1() -> anyhow::Result<()> {
    if Path::new(ROOT).join("cgroup.controllers").exists() {
        bail!(
            "{ROOT} is cgroup v2 (unified); the gVisor tier drives cgroup v1 only so far \
             (boot with systemd.unified_cgroup_hierarchy=0, or see the README)"
        );
    }
    for controller in ["memory", "pids"] {
        if !Path::new(ROOT).join(controller).join("tasks").exists() {
            bail!("the cgroup v1 controller {controller} is not mounted at {ROOT}/{controller}");
        }
    }
    Ok(())
}

/// One run's cgroup, `/takehome-gvisor/ID` in every hierarchy.
pub struct Cgroup {
    id: String,
}

impl Cgroup {
    /// Makes the cgroup in the memory and pids hierarchies and writes its limits: runsc
    /// writes none into a cgroup it did not create, and removes the ones it did create, with
    /// their counters, before they can be read.
    pub fn create(id: &str, memory: u64, pids: u64) -> anyhow::Result<Cgroup> {
        let cgroup = Cgroup { id: id.to_string() };
        for controller in ["memory", "pids"] {
            let dir = cgroup.dir(controller);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot make the cgroup {}", dir.display()))?;
        }
        cgroup.write("memory", "memory.limit_in_bytes", memory)?;
        // Absent without swap accounting; where present, swap must not lift the limit.
        let _ = cgroup.write("memory", "memory.memsw.limit_in_bytes", memory);
        cgroup.write("pids", "pids.max", pids)?;
        Ok(cgroup)
    }

    /// The path runsc is given as `linux.cgroupsPath`.
    pub fn oci_path(&self) -> String {
        format!("/{PARENT}/{}", self.id)
    }

    fn dir(&self, controller: &str) -> PathBuf {
        Path::new(ROOT).join(controller).join(PARENT).join(&self.id)
    }

    fn write(&self, controller: &str, file: &str, value: u64) -> anyhow::Result<()> {
        let path = self.dir(controller).join(file);
        std::fs::write(&path, value.to_string())
            .with_context(|| format!("cannot write {value} to {}", path.display()))
    }

    fn read(&self, controller: &str, file: &str) -> Option<String> {
        std::fs::read_to_string(self.dir(controller).join(file)).ok()
    }

    /// How many times the kernel's OOM killer killed a task of the cgroup.
    pub fn oom_kills(&self) -> u64 {
        let text = self
            .read("memory", "memory.oom_control")
            .unwrap_or_default();
        text.lines()
            .find_map(|line| line.strip_prefix("oom_kill "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Whether the memory limit was hit at all (a failed charge), OOM kill or not.
    pub fn hit_memory_limit(&self) -> bool {
        self.read("memory", "memory.failcnt")
            .and_then(|n| n.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
    }

    /// The highest memory use of the whole sandbox (its kernel included), in bytes.
    pub fn peak_memory(&self) -> u64 {
        self.read("memory", "memory.max_usage_in_bytes")
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Kills whatever is left in the cgroup and removes it from every hierarchy.
    pub fn remove(&self) {
        remove_everywhere(&self.id);
    }
}

/// Kills the tasks of the cgroup `PARENT/id` and removes it, in every hierarchy (runsc
/// makes its own in the ones the harness did not).
pub fn remove_everywhere(id: &str) {
    let Ok(hierarchies) = std::fs::read_dir(ROOT) else {
        return;
    };
    for hierarchy in hierarchies.flatten() {
        let dir = hierarchy.path().join(PARENT).join(id);
        if !dir.is_dir() {
            continue;
        }
        for _ in 0..50 {
            let tasks = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
            for pid in tasks.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                // SAFETY: kill(2) with a pid read from the run's own cgroup.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            if std::fs::remove_dir(&dir).is_ok() || !dir.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// The run ids that have a cgroup in any hierarchy.
pub fn ids() -> Vec<String> {
    let mut ids = Vec::new();
    for hierarchy in std::fs::read_dir(ROOT).into_iter().flatten().flatten() {
        for run in std::fs::read_dir(hierarchy.path().join(PARENT))
            .into_iter()
            .flatten()
            .flatten()
        {
            if run.path().is_dir() {
                let name = run.file_name().to_string_lossy().into_owned();
                if !ids.contains(&name) {
                    ids.push(name);
                }
            }
        }
    }
    ids
}
