//! The python-native runner: the host's CPython in a virtual environment of pinned binary
//! wheels, run inside gVisor (`crate::gvisor`), with the same guest layout, prelude,
//! notebook driver and record as the WebAssembly Python runner.

pub mod environment;
pub mod limits;
pub mod packages;
pub mod requests;
pub mod resolve;
mod scratch;
pub mod venv;

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::python::{self, GUEST_DATA, GUEST_TMP, GUEST_WORK};
use super::support::{Source, Support, py_str};
use super::wheels::{LocalWheel, PinnedWheel};
use super::{Invocation, def::RunnerDef, entries, notebook};
use crate::base::open_regular;
use crate::gvisor::{Bind, Runsc, Spec};
use crate::record::{InstalledPackage, Isolation};
use crate::sandbox::outputs::{self, copy_out};
use crate::sandbox::{ClockMode, RunRecord, RunnerInfo, Verdict, Versions, diagnostics};

const TOML: &str = include_str!("../../../runners/python-native.toml");
/// The harness's program, read-only inside the sandbox.
const GUEST_PROGRAM: &str = "/takehome/main.py";
/// Where the virtual environment is seen: a fixed path, so a cache anywhere (even under
/// `/tmp`) works; its `bin/python` links to the interpreter, seen at its own host path.
const GUEST_VENV: &str = "/opt/venv";
/// The host's fontconfig settings, mounted read-only where they are.
const FONTCONFIG: &str = "/etc/fonts";
/// Where the notebook driver writes its results (in the run's `/tmp`).
const RESULTS: &str = ".takehome-native-notebook.jsonl";
/// Noted by `native_support.py` when a fork was refused for the process limit.
const PROCESS_NOTE: &str = ".takehome/process-limit";
const NATIVE_SUPPORT: &str = include_str!("native_support.py");

/// The runner's definition (`runners/python-native.toml`).
pub fn def() -> RunnerDef {
    // Part of the binary and covered by a test, so a parse failure is a build bug.
    toml::from_str(TOML).unwrap_or_else(|e| panic!("runners/python-native.toml is invalid: {e}"))
}

/// The wheels every python-native environment has, before an assignment's own.
pub fn base_wheels() -> Vec<PinnedWheel> {
    def().wheels
}

/// The environment a handed-in ONNX model runs in when tract cannot: the base wheel of
/// numpy and the runner file's `[[inference_wheel]]`s (onnxruntime), nothing else.
pub fn inference_lock() -> venv::Lock {
    let def = def();
    let numpy = def.wheels.into_iter().filter(|w| w.name == "numpy");
    venv::Lock {
        wheels: numpy.chain(def.inference_wheels).collect(),
        local: Vec::new(),
    }
}

/// Runs the candidate's script or notebook `program` (inside `folder`) in gVisor, in the
/// environment of the runner's wheels plus the invocation's (an assignment's packages, a
/// submission's own).
pub fn run(folder: &Path, program: &Path, invocation: &Invocation) -> anyhow::Result<RunRecord> {
    run_entries(folder, &[program.to_path_buf()], invocation)
}

/// What one sandbox runs: a script, a notebook, or several entries in order.
enum Programs {
    Script,
    Notebook(notebook::Notebook),
    Entries(entries::Plan),
}

/// Runs `programs` (inside `folder`) in order in one sandbox and one working copy, with one
/// record, as [`entries`] does in the WebAssembly tier; one program runs as [`run`] runs it.
pub fn run_entries(
    folder: &Path,
    programs: &[PathBuf],
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let lock = venv::Lock::new(base_wheels(), &invocation.wheels);
    run_in(&lock, folder, programs, invocation)
}

/// Runs `programs` as [`run_entries`] does, in the environment of `lock` (e.g. the
/// [`inference_lock`] for the harness's own ONNX inference).
pub fn run_in(
    lock: &venv::Lock,
    folder: &Path,
    programs: &[PathBuf],
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let program = programs.first().context("no entry point to run")?;
    let cache = crate::base::cache_dir();
    let runsc = Runsc::find(&cache)?;
    let interpreter = venv::Interpreter::find()?;
    let env_dir = venv::ensure(&cache, &interpreter, lock)?;
    let entry = python::entry_in(folder, program)?;
    let programs = match programs {
        [_] if notebook::is_notebook(program) => Programs::Notebook(notebook::read(program)?),
        [_] => Programs::Script,
        _ => Programs::Entries(entries::Plan::new(folder, programs, invocation)?),
    };
    let native = limits::native(&invocation.limits);
    let mut run = scratch::prepare(&runsc, folder, invocation)?;
    let mut env = base_env(invocation.seed);
    env.extend(invocation.env.iter().cloned());
    let setup = python::setup(
        &entry,
        invocation.workdir.as_deref(),
        &invocation.args,
        &env,
        Some(invocation.seed),
    );
    let support = format!("{}{NATIVE_SUPPORT}\n", Support::TEXT.load());
    let source = match &programs {
        Programs::Script => format!(
            "{support}def _takehome_main():\n{setup}    _takehome.run_script({path})\n_takehome_main()\n",
            path = py_str(&format!("{GUEST_WORK}/{entry}")),
        ),
        Programs::Notebook(notebook) => format!(
            "{support}{driver}def _takehome_notebook_main():\n{setup}    _takehome_notebook({cells}, {results})\n_takehome_notebook_main()\n",
            driver = Support::TEXT.driver(Source::NotebookDriver),
            cells = py_str(&serde_json::to_string(&notebook::code_cells(notebook))?),
            results = py_str(&format!("{GUEST_TMP}/{RESULTS}")),
        ),
        Programs::Entries(plan) => {
            format!(
                "{support}{}",
                plan.program(Support::TEXT, &setup, Some(invocation.seed))
            )
        }
    };
    let program_dir = run.dir.dir.join("program");
    std::fs::create_dir_all(&program_dir)?;
    std::fs::write(program_dir.join("main.py"), source)?;
    let mut mounts = vec![bind("/usr", Path::new("/usr"), false)];
    if !interpreter.prefix.starts_with("/usr") {
        mounts.push(bind_same(&interpreter.prefix));
    }
    // fontconfig's settings (no fonts, no secrets): matplotlib runs `fc-list`, which
    // complains on stderr in every run without them.
    if Path::new(FONTCONFIG).is_dir() {
        mounts.push(bind_same(Path::new(FONTCONFIG)));
    }
    mounts.push(bind(GUEST_VENV, &env_dir, false));
    mounts.push(bind("/takehome", &program_dir, false));
    mounts.push(bind(GUEST_WORK, &run.work, true));
    mounts.push(bind(GUEST_TMP, &run.tmp, true));
    if let Some(data) = &run.public_data {
        mounts.push(bind(GUEST_DATA, data, false));
    }
    for extra in &invocation.mounts {
        mounts.push(bind(&extra.guest, &extra.host, extra.writable));
    }
    let spec = Spec {
        argv: vec![
            format!("{GUEST_VENV}/bin/python"),
            "-c".into(),
            format!(
                "exec(compile(open({p}).read(), '<takehome>', 'exec'))",
                p = py_str(GUEST_PROGRAM)
            ),
        ],
        env: env.clone(),
        cwd: python::entry_folder(&entry, invocation.workdir.as_deref()),
        mounts,
        limits: native.clone(),
    };
    let outcome = runsc.run(&mut run.dir, &spec);
    let mut verdict = outcome.verdict;
    let mut message = outcome.message;
    let mut exit_code = outcome.exit_code;
    if verdict == Verdict::Exit && run.tmp.join(PROCESS_NOTE).exists() {
        verdict = Verdict::ProcessLimit;
        exit_code = None;
        message = format!(
            "the process limit of {} was reached (a fork or thread was refused); {message}",
            native.processes
        );
    }
    let limits = &invocation.limits;
    let mut record = RunRecord {
        verdict,
        exit_code,
        trap: None,
        message,
        fuel_used: 0,
        wall_ms: outcome.wall_ms,
        peak_memory_bytes: outcome.peak_memory_bytes,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        outputs: outputs::collect(
            &run.work,
            limits.out_bytes.0,
            limits.out_files + 1,
            &run.baseline,
        ),
        diagnostics: Vec::new(),
        module_sha256: lock.hash(&interpreter),
        seed: invocation.seed,
        clock: ClockMode::Real,
        args: invocation.args.clone(),
        limits: limits.clone(),
        runner: RunnerInfo {
            name: "python-native".into(),
            version: Some(format!("CPython {}", interpreter.version)),
            entry: Some(entry.clone()),
            snapshot_sha256: None,
            preimported: Vec::new(),
            packages: lock
                .local
                .iter()
                .map(|l| InstalledPackage {
                    name: l.pin.name.clone(),
                    version: l.pin.version.clone(),
                    sha256: l.pin.sha256.clone(),
                    asked_by: l.asked_by.clone(),
                })
                .collect(),
        },
        versions: Versions::current(),
        notebook: None,
        entries: Vec::new(),
        isolation: Isolation::Gvisor,
        gvisor: Some(runsc.info(&native)),
        methodology: None,
        fallback_of: None,
    };
    let mut found = diagnostics::Diagnostics::default();
    let report = python::GUEST_REPORT.trim_start_matches("/tmp/");
    if let Some(file) = open_regular(&run.tmp.join(report)) {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(
            &mut std::io::Read::take(file, diagnostics::MAX_REPORT_BYTES),
            &mut text,
        );
        found.add_reported(&text);
    }
    let mut notes = run.notes.clone();
    notes.extend(found.into_vec());
    diagnostics::merge(&mut record.diagnostics, notes);
    record.methodology = crate::runner::methodology::read(&run.tmp);
    if let Some(out) = &invocation.out {
        copy_out(&run.work, &record.outputs, out, limits.out_bytes.0)
            .with_context(|| format!("cannot copy the outputs to {}", out.display()))?;
    }
    if let Programs::Notebook(notebook) = &programs {
        let (results, done) = notebook::read_results(&run.tmp.join(RESULTS), limits.out_bytes.0);
        let (executed, mut cells) = notebook::merge(
            notebook,
            &entry,
            results,
            notebook::stopped_by(&record).as_ref(),
            false,
        );
        if record.verdict == Verdict::Ok
            && let Some(message) = notebook::failure(notebook, &cells, done)
        {
            record.verdict = Verdict::Exit;
            record.exit_code = Some(1);
            record.message = message;
        }
        if let Some(out) = &invocation.out {
            let relative = format!("{}/{entry}", notebook::EXECUTED_DIR);
            notebook::keep_executed(out, &[(relative.clone(), notebook::to_json(&executed))])?;
            cells.executed = Some(relative);
            record.outputs = notebook::collect_kept(out, invocation);
        }
        record.notebook = Some(cells);
    }
    if let Programs::Entries(plan) = &programs {
        record = plan.assemble(record, &run.tmp, invocation)?;
    }
    drop(run);
    Ok(record)
}

/// The environment every python-native run starts from: one thread for every numeric
/// library, a fixed hash seed, the virtual environment first on `PATH`.
fn base_env(seed: u64) -> Vec<(String, String)> {
    [
        (
            "PATH",
            format!("{GUEST_VENV}/bin:/usr/local/bin:/usr/bin:/bin"),
        ),
        ("VIRTUAL_ENV", GUEST_VENV.to_string()),
        ("HOME", "/tmp".into()),
        ("TMPDIR", "/tmp".into()),
        ("LANG", "C.UTF-8".into()),
        ("MPLBACKEND", "Agg".into()),
        ("MPLCONFIGDIR", "/tmp/matplotlib".into()),
        ("PYTHONHASHSEED", (seed % (1 << 32)).to_string()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("OMP_NUM_THREADS", "1".into()),
        ("OPENBLAS_NUM_THREADS", "1".into()),
        ("MKL_NUM_THREADS", "1".into()),
        ("NUMEXPR_NUM_THREADS", "1".into()),
        (
            "SOURCE_DATE_EPOCH",
            crate::sandbox::VIRTUAL_EPOCH_SECS.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn bind(guest: &str, host: &Path, writable: bool) -> Bind {
    Bind {
        host: host.to_path_buf(),
        guest: guest.to_string(),
        writable,
    }
}

/// A read-only bind at the host's own path (the interpreter's prefix: its binary and
/// libraries find each other by absolute paths).
fn bind_same(path: &Path) -> Bind {
    bind(&path.to_string_lossy(), path, false)
}

/// The package of the runner's environment (its base wheels and `extra`, an assignment's
/// packages) that the top-level module `module` comes from, if it has one.
pub fn package_for_module(module: &str, extra: &[LocalWheel]) -> Option<String> {
    let wanted = crate::assignment::normalize_package(requests::package_of_import(module));
    base_wheels()
        .into_iter()
        .chain(extra.iter().map(|l| l.pin.clone()))
        .map(|w| w.name)
        .find(|name| crate::assignment::normalize_package(name) == wanted)
}

/// Whether this machine can run python-native, in one line for `takehome runner list`.
pub fn availability() -> String {
    match Runsc::find(&crate::base::cache_dir()) {
        Ok(runsc) => format!("{} (platform {})", runsc.version, runsc.platform),
        Err(why) => format!("unavailable: {why:#}"),
    }
}

/// Where a python-native run's files are kept on the host, for tests and sweeps.
pub fn runs_dir() -> PathBuf {
    crate::base::cache_dir().join("gvisor").join("runs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runner_file_pins_every_wheel_by_sha256() {
        let def = def();
        assert_eq!(def.name, "python-native");
        assert!(def.wheels.len() > 20);
        for wheel in &def.wheels {
            assert_eq!(wheel.sha256.len(), 64, "{}", wheel.name);
            assert!(wheel.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(wheel.file.ends_with(".whl"), "{}", wheel.file);
        }
    }

    #[test]
    fn import_names_map_to_the_packages_that_provide_them() {
        assert_eq!(
            package_for_module("sklearn", &[]).as_deref(),
            Some("scikit-learn")
        );
        assert_eq!(
            package_for_module("xgboost", &[]).as_deref(),
            Some("xgboost-cpu")
        );
        assert_eq!(
            package_for_module("lightgbm", &[]).as_deref(),
            Some("lightgbm")
        );
        assert_eq!(package_for_module("torch", &[]), None);
    }

    #[test]
    fn an_assignments_packages_provide_their_modules_too() {
        let torch = LocalWheel {
            pin: PinnedWheel {
                name: "torch".into(),
                version: "2.9.1".into(),
                file: "torch-2.9.1-cp311-cp311-manylinux_2_28_x86_64.whl".into(),
                sha256: "0".repeat(64),
            },
            path: "/nowhere/torch-2.9.1-cp311-cp311-manylinux_2_28_x86_64.whl".into(),
            asked_by: "assignment".into(),
        };
        assert_eq!(
            package_for_module("torch", &[torch]).as_deref(),
            Some("torch")
        );
    }
}
