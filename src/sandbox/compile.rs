//! Compiling untrusted modules in a child process, `takehome compile-worker` (a hidden
//! subcommand of the same executable), so that a module too expensive to compile costs one
//! killed child rather than a thread left running.
//!
//! The parent writes the module into a fresh folder, and the child compiles it with the same
//! engine settings and writes the compiled artifact beside it, under hard limits set with
//! `setrlimit` before it starts: [`CPU_SECONDS_PER_CORE`] of CPU per second of the compile
//! limit and core, [`ADDRESS_SPACE`] of memory, [`MAX_ARTIFACT`] of file, no core dump. It
//! dies with the parent. The parent kills it at the compile limit and reaps it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::base::child::{self, Input, NoAnswer};

use super::settings::{EngineVariant, Refusal, config, one_line};
use crate::record::Verdict;

/// Memory (address space) of the compiling child.
pub const ADDRESS_SPACE: u64 = 4 << 30;
/// Largest compiled artifact the child may write.
pub const MAX_ARTIFACT: u64 = 1 << 30;
/// CPU seconds the child may use per second of the compile limit, per core (it compiles in
/// parallel); the parent's wall-clock kill comes first unless the machine is starved.
pub const CPU_SECONDS_PER_CORE: u64 = 1;

const INPUT: &str = "module.wasm";
const OUTPUT: &str = "module.cwasm";
/// The compile folders' names start with this, in the cache folder.
const SCRATCH_PREFIX: &str = ".compile-";

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
    variant: EngineVariant,
    limit: Duration,
    scratch_parent: &Path,
) -> Result<tempfile::TempDir, Refusal> {
    let exe = child::takehome_exe().map_err(internal)?;
    std::fs::create_dir_all(scratch_parent)
        .map_err(|e| internal(format!("cannot make {}: {e}", scratch_parent.display())))?;
    // What a harness killed mid-compile left (kill -9 runs no destructor).
    crate::base::remove_stale_named(scratch_parent, SCRATCH_PREFIX, crate::base::STALE_AFTER);
    let folder = tempfile::Builder::new()
        .prefix(SCRATCH_PREFIX)
        .tempdir_in(scratch_parent)
        .map_err(|e| internal(format!("cannot make a folder to compile in: {e}")))?;
    std::fs::write(folder.path().join(INPUT), binary)
        .map_err(|e| internal(format!("cannot write the module to compile: {e}")))?;
    let mut command = Command::new(&exe);
    command
        .arg("compile-worker")
        .arg(folder.path())
        .args(["--variant", variant.as_str()])
        .env_clear();
    limit_child(&mut command, limit);
    let started = Instant::now();
    let ended = child::run(command, Input::Nothing, 0, limit).map_err(|e| match e {
        NoAnswer::Start(e) => internal(format!(
            "cannot start the compiler ({} compile-worker): {e}",
            exe.display()
        )),
        NoAnswer::Wall => Refusal {
            verdict: Verdict::CompileLimit,
            message: format!(
                "compiling took longer than the limit of {} (the compiler was stopped after {} ms)",
                humantime::format_duration(limit),
                started.elapsed().as_millis()
            ),
        },
        NoAnswer::Wait(e) => internal(format!("cannot wait for the compiler: {e}")),
    })?;
    if ended.status.success() {
        return Ok(folder);
    }
    let said = ended.last_words(500);
    let status = ended.status;
    Err(match (ended.signal(), status.code()) {
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
    let limits = child::ChildLimits {
        cpu_seconds: (limit.as_secs() + 1) * CPU_SECONDS_PER_CORE * cores,
        address_space: ADDRESS_SPACE,
        file_size: MAX_ARTIFACT,
        die_with_parent: true,
    };
    child::limit(command, limits);
}

/// The child's side: compiles `folder/module.wasm` into `folder/module.cwasm`. Exit status 3
/// when the module does not compile, 1 for any other failure, with the reason on stderr.
pub fn worker_main(folder: &Path, variant: EngineVariant) -> ExitCode {
    let fail = |code: u8, message: String| {
        eprintln!("{message}");
        ExitCode::from(code)
    };
    let binary = match std::fs::read(folder.join(INPUT)) {
        Ok(binary) => binary,
        Err(e) => return fail(1, format!("cannot read the module: {e}")),
    };
    let engine = match wasmtime::Engine::new(&config(variant)) {
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
