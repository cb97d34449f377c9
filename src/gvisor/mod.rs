//! The only code that touches runsc (gVisor): runs one untrusted native program in an OCI
//! bundle under hard limits (cgroup memory, wall and CPU time, processes, output, disk) and
//! removes every trace of the run afterwards.

mod bundle;
pub mod cgroup;
pub mod rundir;
mod stream;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::base::Bytes;
use crate::record::GvisorInfo;
use crate::sandbox::{StreamRecord, Verdict};
pub use rundir::RunDir;

/// Exit status runsc reports for a program killed by SIGXCPU (128 + 24).
const EXIT_SIGXCPU: i32 = 152;
/// Exit status runsc reports for a program killed by SIGXFSZ (128 + 25).
const EXIT_SIGXFSZ: i32 = 153;
/// `pids.max` of the run's cgroup: a backstop far above the process limit, since the
/// sandbox's own threads count and hitting it crashes the sandbox rather than the fork.
const PIDS_BACKSTOP: u64 = 512;

/// A runsc binary and how it is driven.
#[derive(Clone, Debug)]
pub struct Runsc {
    pub path: PathBuf,
    /// `runsc --version`'s first line, e.g. `runsc version 0.0~20221219.0`.
    pub version: String,
    /// `--platform`: `ptrace` (works everywhere, slowest), `systrap` or `kvm` (newer runsc).
    pub platform: String,
    /// Where run folders live (`CACHE/gvisor/runs`).
    pub runs: PathBuf,
}

impl Runsc {
    /// runsc from `$TAKEHOME_RUNSC`, else the first `runsc` on `PATH`; its platform from
    /// `$TAKEHOME_RUNSC_PLATFORM` (default `ptrace`). Fails when there is none, or this
    /// machine lacks what the tier needs (root, cgroup v1).
    pub fn find(cache: &Path) -> anyhow::Result<Runsc> {
        let path = match std::env::var_os("TAKEHOME_RUNSC") {
            Some(path) => PathBuf::from(path),
            None => which("runsc").ok_or_else(|| {
                anyhow::anyhow!(
                    "runsc (gVisor) is not installed: the python-native runner needs it \
                     (`apt-get install runsc`, or a gVisor release; see the README)"
                )
            })?,
        };
        let output = Command::new(&path)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {} --version", path.display()))?;
        let version = String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or("runsc version unknown")
            .trim()
            .to_string();
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            bail!("the python-native runner (gVisor) runs as root: it makes cgroups and mounts");
        }
        cgroup::check_v1()?;
        let platform =
            std::env::var("TAKEHOME_RUNSC_PLATFORM").unwrap_or_else(|_| "ptrace".to_string());
        let runs = cache.join("gvisor").join("runs");
        std::fs::create_dir_all(&runs)
            .with_context(|| format!("cannot make {}", runs.display()))?;
        let runsc = Runsc {
            path,
            version,
            platform,
            runs,
        };
        rundir::sweep(&runsc.runs, &runsc.path);
        Ok(runsc)
    }

    /// Whether this machine can run the tier, without saying why not.
    pub fn available() -> bool {
        std::env::var_os("TAKEHOME_RUNSC").is_some() || which("runsc").is_some()
    }

    /// A fresh run folder whose scratch file system holds `bytes` and `inodes`.
    pub fn prepare(&self, bytes: u64, inodes: u64) -> anyhow::Result<RunDir> {
        RunDir::create(&self.runs, &self.path, bytes, inodes)
    }

    pub fn info(&self, limits: &NativeLimits) -> GvisorInfo {
        GvisorInfo {
            runsc: self.version.clone(),
            platform: self.platform.clone(),
            cpu_seconds: limits.cpu.as_secs(),
            processes: limits.processes,
        }
    }

    /// Runs `spec` in `run` and says how it ended. Never panics on what the program does;
    /// the container and cgroup are gone when `run` is dropped.
    pub fn run(&self, run: &mut RunDir, spec: &Spec) -> Outcome {
        let started = Instant::now();
        match self.run_inner(run, spec, started) {
            Ok(outcome) => outcome,
            Err(error) => Outcome {
                verdict: Verdict::Internal,
                exit_code: None,
                message: format!("the gVisor sandbox failed: {error:#}"),
                wall_ms: started.elapsed().as_millis() as u64,
                peak_memory_bytes: 0,
                stdout: stream::Kept::empty().record(0),
                stderr: stream::Kept::empty().record(0),
            },
        }
    }

    fn run_inner(
        &self,
        run: &mut RunDir,
        spec: &Spec,
        started: Instant,
    ) -> anyhow::Result<Outcome> {
        let limits = &spec.limits;
        let cgroup = cgroup::Cgroup::create(&run.id, limits.memory.0, PIDS_BACKSTOP)?;
        let cgroup_path = cgroup.oci_path();
        run.cgroup = Some(cgroup);
        bundle::write(&run.bundle(), spec, &cgroup_path)?;
        let mut child = Command::new(&self.path)
            .arg("--root")
            .arg(run.state())
            .arg(format!("--platform={}", self.platform))
            .arg("--network=none")
            .arg("run")
            .arg("--bundle")
            .arg(run.bundle())
            .arg(&run.id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", self.path.display()))?;
        let stdout_over = Arc::new(AtomicBool::new(false));
        let stderr_over = Arc::new(AtomicBool::new(false));
        let out = stream::spawn(
            child.stdout.take().expect("piped"),
            limits.stdout.0,
            true,
            stdout_over.clone(),
        );
        let err = stream::spawn(
            child.stderr.take().expect("piped"),
            limits.stderr.0,
            false,
            stderr_over,
        );
        let deadline = started + limits.wall;
        let mut stopped = None;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if stopped.is_none() {
                if stdout_over.load(Ordering::SeqCst) {
                    stopped = Some(Verdict::OutputLimit);
                } else if Instant::now() >= deadline {
                    stopped = Some(Verdict::TimeLimit);
                }
                if stopped.is_some() {
                    run.kill();
                    let _ = child.kill();
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let wall_ms = started.elapsed().as_millis() as u64;
        // Whatever still holds the pipes open goes with the container.
        run.kill();
        let stdout = out.join().unwrap_or_else(|_| stream::Kept::empty());
        let stderr = err.join().unwrap_or_else(|_| stream::Kept::empty());
        let cgroup = run.cgroup.as_ref().expect("set above");
        let exit_code = status.code();
        let stderr = stderr.record(limits.stderr.0);
        // runsc's own failures (before the program started) come on the same stderr.
        if stopped.is_none()
            && status.code() == Some(128)
            && stderr.text.contains("creating container")
        {
            anyhow::bail!("runsc could not start the sandbox: {}", stderr.text.trim());
        }
        let (free_bytes, free_inodes) = run.scratch_free();
        let (verdict, message) = classify(
            stopped,
            exit_code,
            cgroup.oom_kills() > 0,
            free_bytes < 64 << 10 || free_inodes == 0,
            limits,
        );
        Ok(Outcome {
            verdict,
            exit_code: if verdict == Verdict::Exit || verdict == Verdict::Ok {
                exit_code
            } else {
                None
            },
            message,
            wall_ms,
            // The cgroup's high-water mark may pass the limit by the charge that hit it.
            peak_memory_bytes: cgroup.peak_memory().min(limits.memory.0),
            stdout: stdout.record(limits.stdout.0),
            stderr,
        })
    }
}

/// The verdict and message of a run, from what the harness saw: `stopped` (the harness
/// killed it for this), the exit status, the cgroup's OOM kills, a full scratch disk.
fn classify(
    stopped: Option<Verdict>,
    exit_code: Option<i32>,
    oom: bool,
    disk_full: bool,
    limits: &NativeLimits,
) -> (Verdict, String) {
    let duration = |d: Duration| humantime::format_duration(d).to_string();
    match (stopped, exit_code) {
        (Some(Verdict::OutputLimit), _) => (
            Verdict::OutputLimit,
            format!("stdout passed its limit of {}", limits.stdout),
        ),
        (Some(verdict), _) => (
            verdict,
            format!(
                "the wall-clock limit of {} was reached",
                duration(limits.wall)
            ),
        ),
        _ if oom => (
            Verdict::MemoryLimit,
            format!(
                "the memory limit of {} was reached (the sandbox's cgroup counted an OOM kill)",
                limits.memory
            ),
        ),
        (None, Some(EXIT_SIGXCPU)) => (
            Verdict::TimeLimit,
            format!("the CPU-time limit of {} was reached", duration(limits.cpu)),
        ),
        _ if disk_full => (
            Verdict::DiskLimit,
            format!(
                "the working copy and /tmp reached their quota of {}",
                limits.disk
            ),
        ),
        (None, Some(EXIT_SIGXFSZ)) => (
            Verdict::DiskLimit,
            format!("a file passed the size limit of {}", limits.file_size),
        ),
        (None, Some(0)) => (Verdict::Ok, "exited with code 0".to_string()),
        (None, Some(code)) => (Verdict::Exit, format!("exited with code {code}")),
        (None, None) => (
            Verdict::Internal,
            "runsc was killed by a signal".to_string(),
        ),
    }
}

/// A host folder the program sees at `guest`.
#[derive(Clone, Debug)]
pub struct Bind {
    pub host: PathBuf,
    pub guest: String,
    pub writable: bool,
}

/// The limits of one gVisor run.
#[derive(Clone, Debug)]
pub struct NativeLimits {
    /// Wall-clock time; past it the harness kills and deletes the sandbox: `time_limit`.
    pub wall: Duration,
    /// CPU time of the program (`ulimit -t` inside): `time_limit`, told apart in the message.
    pub cpu: Duration,
    /// Memory of the whole sandbox (its cgroup): `memory_limit`, read from the cgroup's
    /// OOM-kill counter.
    pub memory: Bytes,
    /// Processes and threads of the sandbox's user (`RLIMIT_NPROC`): a fork past it fails
    /// with EAGAIN.
    pub processes: u64,
    /// Bytes of stdout kept; past it the run is killed: `output_limit`.
    pub stdout: Bytes,
    /// Bytes of stderr kept; past it stderr is truncated and the run goes on.
    pub stderr: Bytes,
    /// What the working copy and `/tmp` may grow by together (the scratch tmpfs):
    /// `disk_limit`.
    pub disk: Bytes,
    /// Largest file the program may write (`RLIMIT_FSIZE`), a backstop above `disk`.
    pub file_size: Bytes,
    /// Size of `/dev/shm`.
    pub shm: Bytes,
}

/// What to run in the sandbox.
#[derive(Clone, Debug)]
pub struct Spec {
    /// argv inside the sandbox, the program first (an absolute path).
    pub argv: Vec<String>,
    /// The whole environment; nothing is inherited.
    pub env: Vec<(String, String)>,
    /// The working folder inside.
    pub cwd: String,
    /// Bind mounts, parents before children.
    pub mounts: Vec<Bind>,
    pub limits: NativeLimits,
}

/// How a gVisor run ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub exit_code: Option<i32>,
    pub message: String,
    pub wall_ms: u64,
    /// Highest memory use of the sandbox's cgroup (its kernel included).
    pub peak_memory_bytes: u64,
    pub stdout: StreamRecord,
    pub stderr: StreamRecord,
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> NativeLimits {
        NativeLimits {
            wall: Duration::from_secs(5),
            cpu: Duration::from_secs(5),
            memory: Bytes(1 << 30),
            processes: 64,
            stdout: Bytes(1 << 20),
            stderr: Bytes(1 << 20),
            disk: Bytes(8 << 20),
            file_size: Bytes(10 << 20),
            shm: Bytes(64 << 20),
        }
    }

    #[test]
    fn verdicts_follow_what_the_harness_saw_first() {
        let cases = [
            (
                Some(Verdict::OutputLimit),
                None,
                true,
                true,
                Verdict::OutputLimit,
            ),
            (
                Some(Verdict::TimeLimit),
                Some(0),
                true,
                false,
                Verdict::TimeLimit,
            ),
            (None, Some(137), true, false, Verdict::MemoryLimit),
            (None, Some(137), false, false, Verdict::Exit),
            (None, Some(EXIT_SIGXCPU), false, false, Verdict::TimeLimit),
            (None, Some(1), false, true, Verdict::DiskLimit),
            (None, Some(0), false, true, Verdict::DiskLimit),
            (None, Some(EXIT_SIGXFSZ), false, false, Verdict::DiskLimit),
            (None, Some(0), false, false, Verdict::Ok),
            (None, Some(3), false, false, Verdict::Exit),
            (None, None, false, false, Verdict::Internal),
        ];
        for (stopped, code, oom, full, want) in cases {
            let (got, message) = classify(stopped, code, oom, full, &limits());
            assert_eq!(
                got, want,
                "{stopped:?} {code:?} oom={oom} full={full}: {message}"
            );
        }
    }

    #[test]
    fn a_cpu_time_verdict_says_cpu_time() {
        let (_, message) = classify(None, Some(EXIT_SIGXCPU), false, false, &limits());
        assert!(message.contains("CPU-time limit of 5s"), "{message}");
    }
}
