//! Compiling untrusted modules in a child process, `takehome compile-worker` (a hidden
//! subcommand of the same executable), so that a module too expensive to compile costs one
//! killed child rather than a thread left running.
//!
//! The parent writes the module into a fresh folder, and the child compiles it with the same
//! engine settings and writes the compiled artifact beside it, under hard limits set with
//! `setrlimit` before it starts: [`CPU_SECONDS_PER_CORE`] of CPU per second of the compile
//! limit and core, [`ADDRESS_SPACE`] of memory, [`MAX_ARTIFACT`] of file, no core dump. It
//! dies with the parent. The parent kills it at the compile limit and reaps it.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use super::engine::{Refusal, config, one_line};
use super::record::Verdict;

/// Memory (address space) of the compiling child.
pub const ADDRESS_SPACE: u64 = 4 << 30;
/// Largest compiled artifact the child may write.
pub const MAX_ARTIFACT: u64 = 1 << 30;
/// CPU seconds the child may use per second of the compile limit, per core (it compiles in
/// parallel); the parent's wall-clock kill comes first unless the machine is starved.
pub const CPU_SECONDS_PER_CORE: u64 = 1;

const INPUT: &str = "module.wasm";
const OUTPUT: &str = "module.cwasm";

/// The executable holding `compile-worker`: `TAKEHOME_EXE` when set; this program when it is
/// `takehome`; else a `takehome` beside this program or one folder up (where cargo puts the
/// binary for the test executables it builds in `deps/`).
pub fn worker_exe() -> Result<PathBuf, String> {
    let current = std::env::current_exe()
        .map_err(|e| format!("cannot tell which program this is ({e}); set TAKEHOME_EXE"))?;
    find_worker(std::env::var_os("TAKEHOME_EXE"), &current)
}

fn find_worker(env: Option<OsString>, current: &Path) -> Result<PathBuf, String> {
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
        "untrusted modules are compiled by the takehome executable in a child process \
         (`takehome compile-worker`), and none was found: this program is {}, and there is no \
         takehome at {}; set TAKEHOME_EXE to the takehome executable",
        current.display(),
        looked.join(" or ")
    ))
}

fn internal(message: String) -> Refusal {
    Refusal {
        verdict: Verdict::Internal,
        message,
    }
}

/// Compiles `binary` (already validated) in a child within `limit` and returns the folder
/// holding the artifact (at [`artifact_path`]), made inside `scratch_parent`.
pub(super) fn compile_in_child(
    binary: &[u8],
    fuel: bool,
    limit: Duration,
    scratch_parent: &Path,
) -> Result<tempfile::TempDir, Refusal> {
    let exe = worker_exe().map_err(internal)?;
    std::fs::create_dir_all(scratch_parent)
        .map_err(|e| internal(format!("cannot make {}: {e}", scratch_parent.display())))?;
    let folder = tempfile::Builder::new()
        .prefix(".compile-")
        .tempdir_in(scratch_parent)
        .map_err(|e| internal(format!("cannot make a folder to compile in: {e}")))?;
    std::fs::write(folder.path().join(INPUT), binary)
        .map_err(|e| internal(format!("cannot write the module to compile: {e}")))?;
    let mut command = Command::new(&exe);
    command
        .arg("compile-worker")
        .arg(folder.path())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if !fuel {
        command.arg("--no-fuel");
    }
    limit_child(&mut command, limit);
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| {
        internal(format!(
            "cannot start the compiler ({} compile-worker): {e}",
            exe.display()
        ))
    })?;
    // The child's stderr closes when it ends: that is how the parent learns it is done.
    let stderr = child.stderr.take().expect("piped stderr");
    let (done, finished) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut stderr = stderr;
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut text);
        // Drain the rest unread, so that the child never blocks on a full pipe.
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        let _ = done.send(());
        text
    });
    let in_time = finished.recv_timeout(limit).is_ok();
    if !in_time {
        let _ = child.kill();
    }
    let status = child.wait();
    let errors = reader.join().unwrap_or_default();
    if !in_time {
        return Err(Refusal {
            verdict: Verdict::CompileLimit,
            message: format!(
                "compiling took longer than the limit of {} (the compiler was stopped after {} ms)",
                humantime::format_duration(limit),
                started.elapsed().as_millis()
            ),
        });
    }
    let status = status.map_err(|e| internal(format!("cannot wait for the compiler: {e}")))?;
    if status.success() {
        return Ok(folder);
    }
    use std::os::unix::process::ExitStatusExt;
    let said = String::from_utf8_lossy(&errors)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .chars()
        .take(500)
        .collect::<String>();
    Err(match (status.signal(), status.code()) {
        (Some(libc::SIGXCPU) | Some(libc::SIGKILL), _) => Refusal {
            verdict: Verdict::CompileLimit,
            message: format!("compiling used more CPU than allowed and was stopped ({status})"),
        },
        (Some(signal), _) => Refusal {
            verdict: Verdict::CompileLimit,
            message: format!(
                "the compiler stopped with signal {signal} (memory limit {} MiB, artifact limit {} MiB)",
                ADDRESS_SPACE >> 20,
                MAX_ARTIFACT >> 20
            ),
        },
        // Exit status 3: the module itself does not compile.
        (None, Some(3)) => Refusal {
            verdict: Verdict::InvalidModule,
            message: format!("module failed to compile: {said}"),
        },
        (None, _) => internal(format!("the compiler failed ({status}): {said}")),
    })
}

/// Where the child leaves the compiled artifact in the folder it was given.
pub(super) fn artifact_path(folder: &Path) -> PathBuf {
    folder.join(OUTPUT)
}

/// CPU, memory, file-size and core limits for the child, applied between fork and exec; and
/// the child dies if the parent does.
fn limit_child(command: &mut Command, limit: Duration) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let limits = crate::base::child::ChildLimits {
        cpu_seconds: (limit.as_secs() + 1) * CPU_SECONDS_PER_CORE * cores,
        address_space: ADDRESS_SPACE,
        file_size: MAX_ARTIFACT,
        die_with_parent: true,
    };
    crate::base::child::limit(command, limits);
}

/// The child's side: compiles `folder/module.wasm` into `folder/module.cwasm`. Exit status 3
/// when the module does not compile, 1 for any other failure, with the reason on stderr.
pub fn worker_main(folder: &Path, fuel: bool) -> ExitCode {
    let fail = |code: u8, message: String| {
        eprintln!("{message}");
        ExitCode::from(code)
    };
    let binary = match std::fs::read(folder.join(INPUT)) {
        Ok(binary) => binary,
        Err(e) => return fail(1, format!("cannot read the module: {e}")),
    };
    let engine = match wasmtime::Engine::new(&config(fuel)) {
        Ok(engine) => engine,
        Err(e) => return fail(1, format!("cannot make the engine: {}", one_line(&e))),
    };
    let artifact = match engine.precompile_module(&binary) {
        Ok(artifact) => artifact,
        Err(e) => return fail(3, one_line(&e)),
    };
    match std::fs::write(artifact_path(folder), artifact) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, format!("cannot write the compiled module: {e}")),
    }
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
        assert_eq!(find_worker(None, &bin).unwrap(), bin);
        // A test executable in deps/ finds the binary one folder up, once it exists.
        let missing = find_worker(None, &test_exe).unwrap_err();
        assert!(missing.contains("TAKEHOME_EXE"), "{missing}");
        assert!(
            missing.contains(&test_exe.display().to_string()),
            "{missing}"
        );
        assert!(missing.contains(&bin.display().to_string()), "{missing}");
        std::fs::write(&bin, b"").unwrap();
        assert_eq!(find_worker(None, &test_exe).unwrap(), bin);
        // TAKEHOME_EXE wins, and must name a file.
        let other = dir.path().join("elsewhere");
        let wrong = find_worker(Some(other.clone().into()), &bin).unwrap_err();
        assert!(
            wrong.contains("TAKEHOME_EXE") && wrong.contains("elsewhere"),
            "{wrong}"
        );
        std::fs::write(&other, b"").unwrap();
        assert_eq!(
            find_worker(Some(other.clone().into()), &test_exe).unwrap(),
            other
        );
    }
}
