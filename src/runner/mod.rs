//! Runners: named execution environments (`runners/*.toml`), their provisioning, and how a
//! program is started on each. Calls `sandbox`; never touches wasmtime itself.

pub mod causes;
pub mod def;
mod entries;
pub mod install;
pub mod methodology;
pub mod native;
pub mod notebook;
mod progress;
pub mod python;
pub mod site;
pub mod support;
pub mod wheels;

use std::path::{Path, PathBuf};

use crate::sandbox::{ClockMode, Limits, Mount, RunRecord, Sandbox};

pub use crate::assignment::RunnerKind;
pub use install::{Installed, NotInstalled};
pub use progress::Progress;

/// What a runner means on this machine: the extensions it takes and its default limits.
impl RunnerKind {
    /// The runner a file's extension implies.
    pub fn for_path(path: &Path) -> Option<RunnerKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        if notebook::is_notebook(path) {
            Some(RunnerKind::Python)
        } else if def::wasi().extensions.contains(&ext) {
            Some(RunnerKind::Wasi)
        } else if def::python().extensions.contains(&ext) {
            Some(RunnerKind::Python)
        } else {
            None
        }
    }

    pub fn default_limits(self) -> Limits {
        match self {
            RunnerKind::Wasi => def::wasi().limits,
            RunnerKind::Python | RunnerKind::PythonPlain => def::python().limits,
            RunnerKind::PythonNative => native::def().limits,
        }
    }
}

/// A request to run a program, independent of the runner.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Public data, seen read-only at `data/` beside the program (Python) or where mounted.
    pub data: Option<PathBuf>,
    /// Where outputs go. wasm: the writable folder mounted at `/out`. Python: a folder that
    /// receives a copy of every file the run created or changed in its working copy, at its
    /// path relative to the copy's top (`None`: the outputs are only listed in the record).
    pub out: Option<PathBuf>,
    pub mounts: Vec<Mount>,
    /// An assignment's extra pure-Python packages, unpacked: seen at `/usr/local/site`.
    pub site: Option<PathBuf>,
    /// An assignment's packages for python-native (binary wheels with their dependencies),
    /// as files on this machine: installed beside the runner's base wheels, hash-checked.
    /// Ignored by the WebAssembly runners.
    pub wheels: Vec<wheels::LocalWheel>,
    /// A Python program's working folder, relative to the top of its folder (`""` for the
    /// top). `None`: the program's own folder, as `python notebooks/x.py` run from
    /// `notebooks/` would see it.
    pub workdir: Option<String>,
    pub seed: u64,
    pub clock: ClockMode,
    pub limits: Limits,
}

/// Runs `program` on `kind`. For wasm, `program` is the module; for Python, the entry
/// script or notebook (`.ipynb`) inside the candidate's folder `folder`.
pub fn run(
    sandbox: &Sandbox,
    kind: RunnerKind,
    folder: &Path,
    program: &Path,
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let mut record = match kind {
        RunnerKind::Wasi => return run_wasi(sandbox, program, invocation),
        RunnerKind::PythonNative => native::run(folder, program, invocation)?,
        RunnerKind::Python | RunnerKind::PythonPlain => {
            let installed = Installed::find(&crate::base::cache_dir())?;
            let run = if notebook::is_notebook(program) {
                notebook::run
            } else if notebook::is_exported_notebook(program) {
                notebook::run_exported
            } else {
                python::run
            };
            run(
                sandbox,
                &installed,
                kind == RunnerKind::Python,
                folder,
                program,
                invocation,
            )?
        }
    };
    causes::name_causes(&mut record, folder);
    Ok(record)
}

/// Runs `programs` on `kind` in order, in one working copy (Python), with one record; one
/// program runs as [`run`] runs it.
pub fn run_entries(
    sandbox: &Sandbox,
    kind: RunnerKind,
    folder: &Path,
    programs: &[PathBuf],
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    match programs {
        [] => anyhow::bail!("no entry point to run"),
        [one] => run(sandbox, kind, folder, one, invocation),
        _ if kind == RunnerKind::Wasi => anyhow::bail!(
            "the wasi runner runs one module; {} entries were given",
            programs.len()
        ),
        _ if kind == RunnerKind::PythonNative => {
            let mut record = native::run_entries(folder, programs, invocation)?;
            causes::name_causes(&mut record, folder);
            Ok(record)
        }
        _ => {
            let installed = Installed::find(&crate::base::cache_dir())?;
            let mut record = entries::run(
                sandbox,
                &installed,
                kind == RunnerKind::Python,
                folder,
                programs,
                invocation,
            )?;
            causes::name_causes(&mut record, folder);
            Ok(record)
        }
    }
}

fn run_wasi(
    sandbox: &Sandbox,
    module: &Path,
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let bytes = std::fs::read(module)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", module.display()))?;
    let mut mounts = invocation.mounts.clone();
    if let Some(data) = &invocation.data {
        mounts.push(Mount {
            guest: "/data".into(),
            host: data.clone(),
            writable: false,
        });
    }
    if let Some(out) = &invocation.out {
        mounts.push(Mount {
            guest: "/out".into(),
            host: out.clone(),
            writable: true,
        });
    }
    let name = module
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spec = crate::sandbox::RunSpec {
        args: std::iter::once(name)
            .chain(invocation.args.iter().cloned())
            .collect(),
        env: invocation.env.clone(),
        mounts,
        out_dir: invocation.out.clone(),
        baseline: Default::default(),
        report_missing_files: true,
        seed: invocation.seed,
        clock: invocation.clock,
        limits: invocation.limits.clone(),
        entry: crate::sandbox::Entry::Command,
        runner: crate::sandbox::RunnerInfo {
            name: "wasi".into(),
            ..Default::default()
        },
    };
    Ok(sandbox.run_bytes(&bytes, &spec))
}
