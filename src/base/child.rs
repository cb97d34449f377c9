//! Helper child processes (PDF reader, ONNX runner, compiler): which executable holds them,
//! the hard limits they start under, and running one to an answer with a wall-clock kill.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct ChildLimits {
    pub cpu_seconds: u64,
    pub address_space: u64,
    pub file_size: u64,
    /// The child is killed when the parent dies.
    pub die_with_parent: bool,
}

/// Applies `limits` (and no core dumps) to the child `command` will start.
pub fn limit(command: &mut Command, limits: ChildLimits) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (setrlimit, prctl) run between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let set = |resource, value: u64| {
                let limit = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_CPU, limits.cpu_seconds)?;
            set(libc::RLIMIT_AS, limits.address_space)?;
            set(libc::RLIMIT_FSIZE, limits.file_size)?;
            set(libc::RLIMIT_CORE, 0)?;
            if limits.die_with_parent && libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The executable holding the hidden worker subcommands: `TAKEHOME_EXE` when set; this
/// program when it is `takehome`; else a `takehome` beside this program or one folder up
/// (where cargo puts the binary for the test executables it builds in `deps/`).
pub fn takehome_exe() -> Result<PathBuf, String> {
    let current = std::env::current_exe()
        .map_err(|e| format!("cannot tell which program this is ({e}); set TAKEHOME_EXE"))?;
    find_takehome(std::env::var_os("TAKEHOME_EXE"), &current)
}

fn find_takehome(env: Option<OsString>, current: &Path) -> Result<PathBuf, String> {
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return match path.is_file() {
            true => Ok(path),
            false => Err(format!(
                "TAKEHOME_EXE is {}, which is not a file; it must name the takehome executable",
                path.display()
            )),
        };
    }
    if current.file_stem().is_some_and(|s| s == "takehome") {
        return Ok(current.to_path_buf());
    }
    let beside = current.with_file_name("takehome");
    let above = current
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("takehome"));
    let looked: Vec<PathBuf> = [Some(beside), above].into_iter().flatten().collect();
    if let Some(found) = looked.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "helper work (PDF reading, model inference, compiling untrusted modules) runs in a \
         child process of the takehome executable, and none was found: this program is {}, \
         and there is no takehome at {}; set TAKEHOME_EXE to the takehome executable",
        current.display(),
        looked.join(" or ")
    ))
}

/// What the child reads.
pub enum Input {
    Nothing,
    /// A file, handed over as the child's stdin: never a pipe, because a child that stops
    /// reading early would break it under us, and SIGPIPE is at its default in takehome
    /// (which would end the whole process).
    File(std::fs::File),
}

/// A child that ended on its own within the wall-clock limit.
pub struct Ended {
    pub status: ExitStatus,
    /// At most the `max_stdout` asked for.
    pub stdout: Vec<u8>,
    /// It wrote more than `max_stdout` (the rest was read and dropped).
    pub stdout_overflowed: bool,
    /// The first 64 KiB of what it wrote to stderr.
    pub stderr: Vec<u8>,
}

impl Ended {
    /// The last non-empty line of stderr, trimmed and cut to `max_chars`: what a failing
    /// child said last, for an error message.
    pub fn last_words(&self, max_chars: usize) -> String {
        String::from_utf8_lossy(&self.stderr)
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .chars()
            .take(max_chars)
            .collect()
    }

    /// The signal that ended the child, if one did.
    pub fn signal(&self) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        self.status.signal()
    }
}

/// Why a child gave no answer.
#[derive(Debug)]
pub enum NoAnswer {
    /// It could not be started.
    Start(std::io::Error),
    /// It was still running at the wall-clock limit, and was killed and reaped.
    Wall,
    /// Waiting for it failed (it was killed and reaped).
    Wait(std::io::Error),
}

const MAX_STDERR: u64 = 64 << 10;

/// Starts `command` with `input` on stdin and its stdout and stderr read by threads (so it
/// never blocks on a full pipe), and waits for it up to `wall`, killing and reaping it then.
pub fn run(
    mut command: Command,
    input: Input,
    max_stdout: u64,
    wall: Duration,
) -> Result<Ended, NoAnswer> {
    let stdin = match input {
        Input::Nothing => Stdio::null(),
        Input::File(file) => Stdio::from(file),
    };
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(NoAnswer::Start)?;
    let stdout = drain(child.stdout.take().expect("piped stdout"), max_stdout);
    let stderr = drain(child.stderr.take().expect("piped stderr"), MAX_STDERR);
    let status = wait_at_most(&mut child, wall);
    let (stdout, stdout_overflowed) = stdout.join().unwrap_or_default();
    let (stderr, _) = stderr.join().unwrap_or_default();
    Ok(Ended {
        status: status?,
        stdout,
        stdout_overflowed,
        stderr,
    })
}

/// Reads up to `keep` bytes of `from` on a thread, then reads and drops the rest; answers
/// what it kept and whether there was more.
fn drain(from: impl Read + Send + 'static, keep: u64) -> std::thread::JoinHandle<(Vec<u8>, bool)> {
    std::thread::spawn(move || {
        let mut from = from;
        let mut kept = Vec::new();
        let _ = (&mut from).take(keep).read_to_end(&mut kept);
        let more = std::io::copy(&mut from, &mut std::io::sink()).unwrap_or(0) > 0;
        (kept, more)
    })
}

fn wait_at_most(child: &mut Child, wall: Duration) -> Result<ExitStatus, NoAnswer> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if started.elapsed() >= wall => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(NoAnswer::Wall);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(NoAnswer::Wait(e));
            }
        }
    }
}

/// The child's side: moves stdout onto stderr, so that a library that prints cannot corrupt
/// the answer, and returns the original stdout (where the answer goes) and up to `max_input`
/// bytes of stdin. The error says what failed, for stderr.
pub fn worker_streams(max_input: u64) -> Result<(std::fs::File, Vec<u8>), String> {
    // SAFETY: plain descriptor calls on this process's own standard descriptors.
    let answer_fd = unsafe {
        let fd = libc::dup(1);
        libc::dup2(2, 1);
        fd
    };
    if answer_fd < 0 {
        return Err("cannot duplicate stdout".to_string());
    }
    // SAFETY: `answer_fd` is a fresh descriptor owned by nobody else.
    let answer = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(answer_fd) };
    let mut input = Vec::new();
    std::io::stdin()
        .take(max_input)
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok((answer, input))
}

/// An unlinked temporary file holding `bytes`, positioned at its start: input for a child.
pub fn input_file(bytes: &[u8]) -> std::io::Result<std::fs::File> {
    use std::io::Seek;
    let mut file = tempfile::tempfile()?;
    file.write_all(bytes)?;
    file.seek(std::io::SeekFrom::Start(0))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_is_found_and_a_missing_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("takehome");
        let deps = dir.path().join("deps");
        std::fs::create_dir(&deps).unwrap();
        let test_exe = deps.join("sandbox_fs-0123abcd");
        // A program called takehome is its own worker.
        assert_eq!(find_takehome(None, &bin).unwrap(), bin);
        // A test executable in deps/ finds the binary one folder up, once it exists.
        let missing = find_takehome(None, &test_exe).unwrap_err();
        assert!(missing.contains("TAKEHOME_EXE"), "{missing}");
        assert!(
            missing.contains(&test_exe.display().to_string()),
            "{missing}"
        );
        assert!(missing.contains(&bin.display().to_string()), "{missing}");
        std::fs::write(&bin, b"").unwrap();
        assert_eq!(find_takehome(None, &test_exe).unwrap(), bin);
        // TAKEHOME_EXE wins, and must name a file.
        let other = dir.path().join("elsewhere");
        let wrong = find_takehome(Some(other.clone().into()), &bin).unwrap_err();
        assert!(
            wrong.contains("TAKEHOME_EXE") && wrong.contains("elsewhere"),
            "{wrong}"
        );
        std::fs::write(&other, b"").unwrap();
        assert_eq!(
            find_takehome(Some(other.clone().into()), &test_exe).unwrap(),
            other
        );
    }

    #[test]
    fn a_child_past_the_wall_is_killed_and_reaped() {
        let started = Instant::now();
        let mut command = Command::new("sleep");
        command.arg("30");
        let answer = run(command, Input::Nothing, 10, Duration::from_millis(200));
        assert!(matches!(answer, Err(NoAnswer::Wall)), "{:?}", answer.err());
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_child_that_writes_too_much_is_read_to_its_end_and_flagged() {
        // 8 MiB, far past a pipe's buffer: the child must not block on a full pipe.
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "head -c 8388608 /dev/zero; echo one >&2; echo last words >&2",
        ]);
        let ended = run(command, Input::Nothing, 1000, Duration::from_secs(60)).unwrap();
        assert!(ended.status.success());
        assert_eq!(ended.stdout.len(), 1000);
        assert!(ended.stdout_overflowed);
        assert_eq!(ended.last_words(4), "last");
        assert_eq!(ended.signal(), None);
    }

    #[test]
    fn the_child_reads_its_input_file_and_its_answer_comes_back() {
        let input = input_file(b"a request").unwrap();
        let ended = run(
            Command::new("cat"),
            Input::File(input),
            100,
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(ended.stdout, b"a request");
        assert!(!ended.stdout_overflowed);
        let mut command = Command::new("sh");
        command.args(["-c", "kill -9 $$"]);
        let ended = run(command, Input::Nothing, 100, Duration::from_secs(60)).unwrap();
        assert_eq!(ended.signal(), Some(libc::SIGKILL));
        let started = run(
            Command::new("/nonexistent/takehome"),
            Input::Nothing,
            1,
            Duration::from_secs(1),
        );
        assert!(matches!(started, Err(NoAnswer::Start(_))));
    }
}
