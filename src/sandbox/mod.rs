//! The only code that touches wasmtime: runs one untrusted module under hard limits,
//! deterministically, and describes what happened in a [`RunRecord`].

mod capture;
mod compile;
pub mod diagnostics;
mod engine;
mod host;
mod outcome;
pub mod outputs;
pub mod paths;
mod quota;
mod settings;
mod shadow;
mod snapshot;
pub mod workcopy;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use wasmtime::{Linker, Store, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

pub use crate::base::limits;
pub use crate::base::{Bytes, Limits};
pub use crate::record::{
    CellError, CellOutput, CellRecord, CellStatus, ClockMode, Diagnostic, DiagnosticKind,
    EntryKind, EntryRecord, NotebookRecord, OutputFile, OutputKind, RunRecord, RunnerInfo,
    SavedOutput, StreamRecord, Verdict, Versions,
};

pub use compile::worker_main as compile_worker_main;
pub use engine::LoadedModule;
pub use settings::VIRTUAL_EPOCH_SECS;
pub use settings::{EngineVariant, Refusal};
pub use workcopy::{Baseline, CopyLimits, copy_tree};

use capture::{Capture, Overflow};
use host::{Clock, Denial, FrozenMonotonicClock, FrozenWallClock, Host, Inodes, Limiter};
use outcome::{End, call_entry, classify};

pub use crate::record::WASMTIME_VERSION;

/// A host folder the guest sees at `guest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub guest: String,
    pub host: PathBuf,
    pub writable: bool,
}

/// How the module is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A WASI command: `_start`. A module without it but with `run` is treated as [`Entry::Run`].
    Command,
    /// A reactor: `_initialize` if exported, then `run() -> i32`, the exit code.
    Run,
    /// A reactor driven by source text: `host_alloc(len) -> ptr`, then `turn(ptr, len) -> i32`.
    Turn(String),
}

/// Everything about a run except the module.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// argv, including argv[0].
    pub args: Vec<String>,
    /// The whole environment the guest sees; nothing is inherited.
    pub env: Vec<(String, String)>,
    /// Preopened folders, in order. Writable ones share the disk quota.
    pub mounts: Vec<Mount>,
    /// The host folder whose created or changed files are listed as `outputs` afterwards:
    /// the working copy, or a wasm program's `/out`.
    pub out_dir: Option<PathBuf>,
    /// The working copy as it was before the run (empty when there is none): what is
    /// unchanged from it counts neither against the disk quota nor as an output.
    pub baseline: Arc<Baseline>,
    /// Whether the host diagnoses opens of files that do not exist. The Python runner turns
    /// this off: its prelude reports them as the program wrote them.
    pub report_missing_files: bool,
    pub seed: u64,
    pub clock: ClockMode,
    pub limits: Limits,
    pub entry: Entry,
    pub runner: RunnerInfo,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            args: vec!["main.wasm".into()],
            env: Vec::new(),
            mounts: Vec::new(),
            out_dir: None,
            baseline: Arc::default(),
            report_missing_files: true,
            seed: 0,
            clock: ClockMode::Virtual,
            limits: Limits::default(),
            entry: Entry::Command,
            runner: RunnerInfo {
                name: "wasi".into(),
                ..RunnerInfo::default()
            },
        }
    }
}

/// A wasmtime engine with its linkers and compile cache. Cheap to share; runs may go in parallel.
#[derive(Clone)]
pub struct Sandbox {
    compiler: Arc<engine::Compiler>,
    stock: Arc<Linker<Host>>,
    guest: Arc<Linker<Host>>,
    shim: wasmtime::Module,
}

impl Sandbox {
    /// A sandbox with the standard settings, caching compiled modules in `cache_dir`.
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        Self::with_variant(cache_dir, EngineVariant::Standard)
    }

    /// A sandbox with other engine settings: only for measuring what a setting costs.
    pub fn with_variant(
        cache_dir: Option<PathBuf>,
        variant: EngineVariant,
    ) -> anyhow::Result<Self> {
        let compiler = engine::shared(cache_dir, variant)?;
        let wasm_err = |e: wasmtime::Error| anyhow::anyhow!("{e:#}");
        let mut stock = Linker::new(&compiler.engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut stock, |h: &mut Host| &mut h.wasi)
            .map_err(wasm_err)?;
        let mut guest = stock.clone();
        shadow::define(&mut guest).map_err(wasm_err)?;
        // The Python interpreter imports one host function; it is given one that always fails.
        guest
            .func_wrap("host", "call", |_: i32, _: i32, _: i32, _: i32| -> i32 {
                1
            })
            .map_err(wasm_err)?;
        // The harness's own text, compiled in process through the cache: compiling it afresh
        // would cost every process a few ms.
        let shim_binary = wat::parse_str(shadow::shim_wat())?;
        let shim_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&shim_binary));
        let shim = compiler
            .load_trusted(&shim_sha, || Ok(shim_binary))
            .map_err(|e| anyhow::anyhow!("the WASI shim: {e:#}"))?
            .module;
        Ok(Sandbox {
            compiler,
            stock: Arc::new(stock),
            guest: Arc::new(guest),
            shim,
        })
    }

    /// Loads untrusted module bytes (wasm or wat) within the limits' size and compile time.
    pub fn load(&self, bytes: &[u8], limits: &Limits) -> Result<LoadedModule, Refusal> {
        self.compiler.load_untrusted(bytes, limits)
    }

    /// Loads a module the harness provisioned and checked itself (a runner's interpreter),
    /// known by its hash: the bytes are read only when no compiled form is cached.
    pub fn load_trusted(
        &self,
        sha256: &str,
        bytes: impl FnOnce() -> anyhow::Result<Vec<u8>>,
    ) -> anyhow::Result<LoadedModule> {
        self.compiler.load_trusted(sha256, bytes)
    }

    pub fn is_compiled(&self, sha256: &str) -> bool {
        self.compiler.is_cached(sha256)
    }

    fn engine(&self) -> &wasmtime::Engine {
        &self.compiler.engine
    }

    /// Loads then runs: a module that cannot be loaded still gets a record.
    pub fn run_bytes(&self, bytes: &[u8], spec: &RunSpec) -> RunRecord {
        match self.load(bytes, &spec.limits) {
            Ok(module) => self.run(&module, spec),
            Err(refusal) => {
                // Name the module as a successful run would: by its binary form when it has one.
                let binary = wat::parse_bytes(bytes).unwrap_or(std::borrow::Cow::Borrowed(bytes));
                let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&binary));
                refused(spec, sha, refusal)
            }
        }
    }

    /// Runs a loaded module on a guest thread (see [`on_guest_thread`]).
    pub fn run(&self, module: &LoadedModule, spec: &RunSpec) -> RunRecord {
        match on_guest_thread(|| self.run_here(module, spec)) {
            Ok(record) => record,
            Err(message) => refused(
                spec,
                module.sha256.clone(),
                Refusal {
                    verdict: Verdict::Internal,
                    message,
                },
            ),
        }
    }

    fn run_here(&self, module: &LoadedModule, spec: &RunSpec) -> RunRecord {
        let stdout = Capture::new(spec.limits.stdout.0, Overflow::Stop);
        let stderr = Capture::new(spec.limits.stderr.0, Overflow::Truncate);
        let started = Instant::now();
        let mut store = match self.store(spec, &stdout, &stderr, started) {
            Ok(store) => store,
            Err(message) => {
                return refused(
                    spec,
                    module.sha256.clone(),
                    Refusal {
                        verdict: Verdict::Internal,
                        message,
                    },
                );
            }
        };
        let end = match self.guest.instantiate_pre(&module.module) {
            Err(e) => End::Refused(Refusal {
                verdict: Verdict::LinkError,
                message: settings::one_line(&e),
            }),
            Ok(pre) => match pre.instantiate(&mut store) {
                Err(e) => End::Failed(e),
                Ok(instance) => match shadow::attach(&self.shim, &self.stock, &mut store, instance)
                {
                    Ok(()) => call_entry(&mut store, instance, &spec.entry),
                    Err(e) => End::Refused(Refusal {
                        verdict: Verdict::Internal,
                        message: settings::one_line(&e),
                    }),
                },
            },
        };
        let wall_ms = started.elapsed().as_millis() as u64;
        let fuel_used = spec
            .limits
            .fuel
            .saturating_sub(store.get_fuel().unwrap_or(spec.limits.fuel));
        let (mut verdict, exit_code, trap, mut message) = classify(end, store.data(), &stdout);
        let outputs = spec
            .out_dir
            .as_ref()
            .map(|dir| {
                outputs::collect(
                    dir,
                    spec.limits.out_bytes.0,
                    spec.limits.out_files + 1,
                    &spec.baseline,
                )
            })
            .unwrap_or_default();
        if matches!(verdict, Verdict::Ok | Verdict::Exit)
            && let Err(over) = store.data().quota.settle()
        {
            verdict = Verdict::DiskLimit;
            message = over.to_string();
        }
        RunRecord {
            verdict,
            exit_code,
            trap,
            message,
            fuel_used,
            wall_ms,
            peak_memory_bytes: store.data().limiter.peak as u64,
            stdout: stdout.record(),
            stderr: stderr.record(),
            outputs,
            diagnostics: store.data().diagnostics.clone().into_vec(),
            ..blank_record(spec, module.sha256.clone())
        }
    }

    fn store(
        &self,
        spec: &RunSpec,
        stdout: &Capture,
        stderr: &Capture,
        started: Instant,
    ) -> Result<Store<Host>, String> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.args(&spec.args)
            .envs(&spec.env)
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_blocking_current_thread(true)
            .secure_random(ChaCha20Rng::seed_from_u64(spec.seed))
            .insecure_random(ChaCha20Rng::seed_from_u64(spec.seed ^ 0x5eed))
            .insecure_random_seed(u128::from(spec.seed))
            .wall_clock(FrozenWallClock)
            .monotonic_clock(FrozenMonotonicClock);
        for mount in &spec.mounts {
            let perms = if mount.writable {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            wasi.preopened_dir(&mount.host, &mount.guest, perms)
                .map_err(|e| {
                    format!(
                        "cannot mount {} at {}: {e:#}",
                        mount.host.display(),
                        mount.guest
                    )
                })?;
        }
        let writable: Vec<PathBuf> = spec
            .mounts
            .iter()
            .filter(|m| m.writable)
            .map(|m| m.host.clone())
            .collect();
        let limits = &spec.limits;
        let work_guest = spec
            .mounts
            .iter()
            .find(|m| Some(&m.host) == spec.out_dir.as_ref())
            .map(|m| m.guest.clone())
            .unwrap_or_default();
        let host = Host {
            wasi: wasi.build_p1(),
            limiter: Limiter {
                memory_cap: usize::try_from(limits.memory.0).unwrap_or(usize::MAX),
                table_cap: 1_000_000,
                current: 0,
                peak: 0,
                denial: None,
            },
            stock: None,
            denial: None,
            quota: quota::Quota::new(
                writable,
                spec.baseline.clone(),
                limits.out_bytes.0,
                limits.out_files,
            ),
            clock: Clock {
                mode: spec.clock,
                deadline: started + limits.wall,
                started,
                slept_ns: 0,
                reads: 0,
            },
            inodes: Inodes::default(),
            fuel_limit: limits.fuel,
            stdio_fds: [0, 1, 2].into(),
            paths: paths::GuestPaths::new(
                spec.mounts.iter().map(|m| (m.guest.as_str(), m.writable)),
            ),
            diagnostics: diagnostics::Diagnostics::default(),
            work_guest,
            report_missing_files: spec.report_missing_files,
        };
        let mut store = Store::new(&self.compiler.engine, host);
        store.limiter(|h| &mut h.limiter);
        // Fails only on an engine without fuel metering, which is then simply unmetered.
        let _ = store.set_fuel(limits.fuel);
        store.set_epoch_deadline(1);
        let wall = limits.wall;
        store.epoch_deadline_callback(move |mut ctx| {
            if Instant::now() < ctx.data().clock.deadline {
                return Ok(UpdateDeadline::Continue(1));
            }
            let message = format!(
                "the wall-clock limit of {} was reached",
                humantime::format_duration(wall)
            );
            Err(ctx.data_mut().deny(Denial::Time(message)))
        });
        Ok(store)
    }
}

fn turn(
    store: &mut Store<Host>,
    instance: wasmtime::Instance,
    source: &str,
) -> wasmtime::Result<i32> {
    let alloc = instance.get_typed_func::<i32, i32>(&mut *store, "host_alloc")?;
    let turn = instance.get_typed_func::<(i32, i32), i32>(&mut *store, "turn")?;
    let memory = instance
        .get_memory(&mut *store, "memory")
        .ok_or_else(|| wasmtime::format_err!("the module exports no memory"))?;
    let len = i32::try_from(source.len()).map_err(|_| wasmtime::format_err!("source too long"))?;
    let ptr = alloc.call(&mut *store, len)?;
    memory.write(&mut *store, ptr as u32 as usize, source.as_bytes())?;
    turn.call(&mut *store, (ptr, len))
}

std::thread_local! {
    /// Whether this thread was started by [`on_deep_thread`]: deep enough for a guest.
    static DEEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` on a new thread with a stack deep enough for a guest (plus room for the
/// caller's own frames). Guests started on it outside an async runtime run on it directly,
/// with no thread of their own: handing a run to another thread and back costs 30-40 µs
/// here, as much as a whole trivial run.
pub fn on_deep_thread<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T, String> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("deep".into())
            .stack_size(settings::RUN_THREAD_STACK + (8 << 20))
            .spawn_scoped(scope, || {
                DEEP.set(true);
                work()
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        handle
            .join()
            .map_err(|_| "the harness panicked".to_string())
    })
}

/// Runs `work` where a guest may run: on this thread when it is a deep one outside any async
/// runtime, else on a fresh thread with a stack deep enough for the guest and no async
/// runtime in its context.
///
/// A guest never runs inside an async runtime: wasmtime-wasi's synchronous calls start a
/// runtime of their own, which panics on a thread that already runs one (any caller inside
/// tokio: `demo`, `serve`, `worker`, `evaluate`).
fn on_guest_thread<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T, String> {
    let panicked = |_| "the harness panicked while running the guest".to_string();
    if DEEP.get() && tokio::runtime::Handle::try_current().is_err() {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(panicked);
    }
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("guest".into())
            .stack_size(settings::RUN_THREAD_STACK)
            .spawn_scoped(scope, work)
            .map_err(|e| format!("cannot start a guest thread: {e}"))?;
        handle.join().map_err(panicked)
    })
}

/// A record for a run that never started.
pub fn refused(spec: &RunSpec, module_sha256: String, refusal: Refusal) -> RunRecord {
    RunRecord {
        verdict: refusal.verdict,
        message: refusal.message,
        ..blank_record(spec, module_sha256)
    }
}

/// A record carrying the run's inputs and nothing that happened yet.
fn blank_record(spec: &RunSpec, module_sha256: String) -> RunRecord {
    let empty = StreamRecord {
        sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"")),
        ..Default::default()
    };
    RunRecord {
        verdict: Verdict::Internal,
        exit_code: None,
        trap: None,
        message: String::new(),
        fuel_used: 0,
        wall_ms: 0,
        peak_memory_bytes: 0,
        stdout: empty.clone(),
        stderr: empty,
        outputs: Vec::new(),
        diagnostics: Vec::new(),
        module_sha256,
        seed: spec.seed,
        clock: spec.clock,
        args: spec.args.clone(),
        limits: spec.limits.clone(),
        runner: spec.runner.clone(),
        versions: Versions::current(),
        notebook: None,
        entries: Vec::new(),
        isolation: crate::record::Isolation::Wasm,
        gvisor: None,
        methodology: None,
        fallback_of: None,
    }
}
