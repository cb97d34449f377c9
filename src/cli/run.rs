//! `takehome run`: one program in the sandbox, no workspace needed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::usage;
use crate::base::limits::parse_duration;
use crate::runner::python::{GUEST_DATA, GUEST_WORK};
use crate::runner::wheels::LocalWheel;
use crate::runner::{self, Invocation, RunnerKind, native};
use crate::sandbox::{Bytes, ClockMode, Limits, Mount, RunRecord, Sandbox};

/// Run one program in the sandbox and report what it did.
///
/// PROGRAM is a WebAssembly module (`.wasm`, or `.wat` text) for the wasi runner, or a
/// Python script (`.py`) or Jupyter notebook (`.ipynb`, run cell by cell with IPython; the
/// executed notebook is kept under `executed/` among the outputs) for the python runner. A
/// Python program runs in a fresh, writable
/// copy of its project (`--root DIR`, default the script's own folder; the folder itself is
/// never changed), from the script's own folder, as `python main.py` would there: `data/` is
/// the public data (`--mount data=DIR`, read-only, else the project's own `data/`), every
/// file the script creates or changes anywhere in the copy is an output (counted in the disk
/// quota with `/tmp`, and copied to `--out DIR` when given). The exit
/// status is 0 whenever the run was executed and recorded, whatever its verdict; it is
/// non-zero only for usage errors.
///
/// Every limit has a default, so nothing runs unlimited. Runs are deterministic unless
/// --real-clock is given: the same module, inputs, args, env and seed give byte-identical
/// output and the same fuel count.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  takehome run hello.wasm\n  takehome run prog.wat --fuel 1000000 --wall 2s --json\n  takehome run prog.wasm --mount /data=./data --out ./out -- --epochs 3\n  takehome run notebooks/train.py --root . --mount data=../public-data --out ./results\n  takehome run notebooks/01_eda.ipynb --then notebooks/02_model.ipynb --out ./results"
)]
pub struct RunArgs {
    /// The program: a `.wasm` module, `.wat` text, a `.py` script or an `.ipynb` notebook.
    #[arg(value_name = "PROGRAM")]
    pub module: PathBuf,

    /// A Python script or notebook to run after PROGRAM (repeatable), in order, in the same
    /// working copy, so each sees the files the ones before it wrote, as several `entry`
    /// points of a submission run. One record covers them all (its `entries`); a limit stops
    /// the whole sequence. Each must be inside the project folder (--root).
    #[arg(long, value_name = "PROGRAM")]
    pub then: Vec<PathBuf>,

    /// The runner: wasi, python (the scientific snapshot), python-plain (no snapshot) or
    /// python-native (the host's CPython with binary wheels, inside gVisor)
    /// [default: by the program's extension].
    #[arg(long, value_name = "NAME")]
    pub runner: Option<RunnerKind>,

    /// Install a missing runner instead of stopping with an error.
    #[arg(long)]
    pub install_runners: bool,

    /// Instruction budget in wasmtime fuel units, about one per wasm instruction
    /// [default: 10000000000 for wasm, 400000000000 for Python]. Running out gives `fuel_limit`.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,

    /// Wall-clock limit for the run, host calls included, e.g. 5s or 500ms [default: 10s for
    /// wasm, 120s for Python].
    /// Reaching it gives `time_limit`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wall: Option<Duration>,

    /// Cap on linear memory, e.g. 256MiB [default: 256MiB for wasm, 2GiB for Python]. Growing
    /// past it gives `memory_limit`.
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<Bytes>,

    /// Bytes of stdout kept [default: 1MiB]. Writing past it gives `output_limit`.
    #[arg(long, value_name = "SIZE")]
    pub stdout_limit: Option<Bytes>,

    /// Bytes of stderr kept [default: 1MiB]. Past it stderr is truncated and flagged.
    #[arg(long, value_name = "SIZE")]
    pub stderr_limit: Option<Bytes>,

    /// Total size of files the guest may leave in its writable folders [default: 64MiB for
    /// wasm, 256MiB for Python].
    /// Going over gives `disk_limit`.
    #[arg(long, value_name = "SIZE")]
    pub out_limit: Option<Bytes>,

    /// Number of files, folders and links allowed in the writable folders [default: 1000 for
    /// wasm, 2000 for Python].
    #[arg(long, value_name = "N")]
    pub out_files: Option<u64>,

    /// Time allowed to compile a module not yet in the cache [default: 60s]. Going over
    /// gives `compile_limit`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub compile_limit: Option<Duration>,

    /// Largest module accepted [default: 64MiB]. Larger gives `invalid_module`.
    #[arg(long, value_name = "SIZE")]
    pub module_limit: Option<Bytes>,

    /// A read-only host folder the guest sees at GUEST (repeatable), e.g. /data=./data.
    /// For Python, `data=DIR` is the public data folder; a relative GUEST is under the
    /// script's folder.
    #[arg(long, value_name = "GUEST=HOST")]
    pub mount: Vec<String>,

    /// Where outputs go. For wasm, the host folder the guest sees writable at `/out`. For
    /// Python, the folder that receives a copy of every file the run created or changed, at
    /// its path relative to the project's top (`out/predictions.csv`, `plots/roc.png`). Made
    /// if missing; refused if not empty. Outputs are listed, with hashes, in the record.
    #[arg(long, value_name = "HOST")]
    pub out: Option<PathBuf>,

    /// The project folder a Python script runs in: copied afresh for the run (the folder
    /// itself is never changed), mounted writable at `/work`, with PROGRAM inside it
    /// [default: PROGRAM's own folder].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// An environment variable for the guest (repeatable). The guest sees no other.
    #[arg(long, value_name = "K=V")]
    pub env: Vec<String>,

    /// Seed for the guest's random sources [default: 0].
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// Use the host's real clocks and really sleep. The run is then not reproducible.
    #[arg(long)]
    pub real_clock: bool,

    /// python-native: install nothing beyond the runner's wheels. By default the project's
    /// `requirements.txt` is installed (binary wheels only), or, without one, the packages
    /// its imports name (`import seaborn`, `!pip install shap`); the record lists them.
    #[arg(long)]
    pub no_packages: bool,

    /// Print the JSON run record on stdout instead of the program's output and a summary.
    #[arg(long)]
    pub json: bool,

    /// Arguments passed to the program, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

impl RunArgs {
    fn limits(&self, mut limits: Limits) -> Limits {
        if let Some(v) = self.fuel {
            limits.fuel = v
        }
        if let Some(v) = self.wall {
            limits.wall = v
        }
        if let Some(v) = self.memory {
            limits.memory = v
        }
        if let Some(v) = self.stdout_limit {
            limits.stdout = v
        }
        if let Some(v) = self.stderr_limit {
            limits.stderr = v
        }
        if let Some(v) = self.out_limit {
            limits.out_bytes = v
        }
        if let Some(v) = self.out_files {
            limits.out_files = v
        }
        if let Some(v) = self.compile_limit {
            limits.compile = v
        }
        if let Some(v) = self.module_limit {
            limits.module_size = v
        }
        limits
    }
}

/// Splits `K=V` (or `GUEST=HOST`), naming the flag when the `=` is missing.
pub fn split_pair<'a>(flag: &str, text: &'a str) -> anyhow::Result<(&'a str, &'a str)> {
    text.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| usage(format!("{flag} `{text}` must have the form NAME=VALUE")))
}

/// Resolves `--mount GUEST=HOST` values; relative guest paths are taken from `base`.
pub fn parse_mounts(values: &[String], base: &str) -> anyhow::Result<Vec<Mount>> {
    values
        .iter()
        .map(|value| {
            let (guest, host) = split_pair("--mount", value)?;
            let host = PathBuf::from(host);
            if !host.is_dir() {
                return Err(usage(format!(
                    "--mount {value}: {} is not a folder",
                    host.display()
                )));
            }
            let guest = if guest.starts_with('/') {
                guest.to_string()
            } else {
                format!("{base}/{guest}")
            };
            Ok(Mount {
                guest,
                host,
                writable: false,
            })
        })
        .collect()
}

/// Prepares `--out`: made if missing, refused if it holds anything.
pub fn prepare_out_dir(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        if !out.is_dir() {
            return Err(usage(format!(
                "--out {}: exists and is not a folder",
                out.display()
            )));
        }
        let mut listing = std::fs::read_dir(out)?;
        if listing.next().is_some() {
            return Err(usage(format!(
                "--out {}: the folder is not empty; give a new or empty folder so outputs are the run's alone",
                out.display()
            )));
        }
    } else {
        std::fs::create_dir_all(out)
            .map_err(|e| usage(format!("--out {}: cannot create it: {e}", out.display())))?;
    }
    Ok(())
}

pub fn execute(args: RunArgs) -> anyhow::Result<ExitCode> {
    if !args.module.is_file() {
        return Err(usage(format!("{}: no such file", args.module.display())));
    }
    let kind = match args.runner {
        Some(kind) => kind,
        None => RunnerKind::for_path(&args.module).ok_or_else(|| {
            usage(format!(
                "cannot tell the runner from the name {}: pass --runner wasi, python or python-plain",
                args.module.display()
            ))
        })?,
    };
    let python = kind != RunnerKind::Wasi;
    let env = args
        .env
        .iter()
        .map(|e| split_pair("--env", e).map(|(k, v)| (k.to_string(), v.to_string())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut mounts = parse_mounts(&args.mount, if python { GUEST_WORK } else { "" })?;
    let data = mounts
        .iter()
        .position(|m| python && m.guest == GUEST_DATA)
        .map(|index| mounts.remove(index).host);
    if kind == RunnerKind::Python
        && let Some(extra) = mounts.first()
    {
        return Err(usage(format!(
            "--mount {}: the python runner's snapshot has a fixed layout (data= only); use --runner python-plain for other mounts",
            extra.guest
        )));
    }
    if let Some(out) = &args.out {
        prepare_out_dir(out)?;
    }
    let folder = match &args.root {
        Some(_) if !python => {
            return Err(usage(
                "--root applies to Python programs; a wasm module sees --mount and --out folders"
                    .to_string(),
            ));
        }
        Some(root) => {
            let root = root.canonicalize().map_err(|e| {
                usage(format!(
                    "--root {}: cannot open the folder: {e}",
                    root.display()
                ))
            })?;
            if !root.is_dir() {
                return Err(usage(format!("--root {}: not a folder", root.display())));
            }
            if !args.module.canonicalize()?.starts_with(&root) {
                return Err(usage(format!(
                    "{} is not inside --root {}: the program must be part of the folder that is copied",
                    args.module.display(),
                    root.display()
                )));
            }
            root
        }
        None => args
            .module
            .canonicalize()?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let mut programs = vec![args.module.clone()];
    for next in &args.then {
        if !python {
            return Err(usage(
                "--then applies to Python scripts and notebooks; the wasi runner runs one module"
                    .to_string(),
            ));
        }
        let inside = next
            .canonicalize()
            .map_err(|e| usage(format!("--then {}: {e}", next.display())))?;
        if !inside.is_file() || !inside.starts_with(&folder) {
            return Err(usage(format!(
                "--then {}: not a file inside the project folder {} (pass --root DIR to hold them all)",
                next.display(),
                folder.display()
            )));
        }
        programs.push(next.clone());
    }
    let invocation = Invocation {
        args: args.args.clone(),
        env,
        data,
        out: args.out.clone(),
        mounts,
        site: None,
        wheels: if kind == RunnerKind::PythonNative && !args.no_packages {
            own_packages(&folder, &args.module)?
        } else {
            Vec::new()
        },
        workdir: None,
        seed: args.seed,
        clock: if args.real_clock {
            ClockMode::Real
        } else {
            ClockMode::Virtual
        },
        limits: args.limits(kind.default_limits()),
    };
    let sandbox = Sandbox::new(Some(crate::base::cache_dir()))?;
    if python && kind != RunnerKind::PythonNative {
        super::runner::ensure_python(&sandbox, args.install_runners)?;
    }
    let record = runner::run_entries(&sandbox, kind, &folder, &programs, &invocation)?;
    report(&record, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// The packages a python-native project asks for (its `requirements.txt`, else its
/// imports), resolved to wheels once and kept in the cache. What is not installed, and why,
/// is said on stderr; the run then shows which import is missing.
fn own_packages(folder: &Path, program: &Path) -> anyhow::Result<Vec<LocalWheel>> {
    let interpreter = native::venv::Interpreter::find()?;
    let asked = native::requests::requests_for(folder, Some(program), &interpreter.executable)?;
    if asked.requests.is_empty() && asked.warnings.is_empty() {
        return Ok(Vec::new());
    }
    let base = native::base_wheels();
    let cache = crate::base::cache_dir();
    let progress = indicatif::ProgressBar::new_spinner().with_message(format!(
        "resolving the {} package(s) the project asks for (once; kept in the cache)",
        asked.requests.len()
    ));
    progress.enable_steady_tick(Duration::from_millis(120));
    let (wheels, warnings) = native::environment::cached(&cache, &asked, &base)?;
    progress.finish_and_clear();
    for warning in warnings {
        eprintln!("takehome: {warning}");
    }
    Ok(wheels)
}

/// Prints a record: the JSON, or the guest's own output followed by a short summary.
pub fn report(record: &RunRecord, json: bool) -> anyhow::Result<()> {
    use std::io::Write;
    if json {
        println!("{}", serde_json::to_string_pretty(record)?);
        return Ok(());
    }
    std::io::stdout().write_all(record.stdout.text.as_bytes())?;
    std::io::stdout().flush()?;
    std::io::stderr().write_all(record.stderr.text.as_bytes())?;
    eprint!("{}", crate::record::summary(record));
    Ok(())
}
