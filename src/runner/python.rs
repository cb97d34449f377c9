//! Running Python programs: the one fixed guest layout, the prelude that starts the
//! candidate's script, and the scientific snapshot built from them.
//!
//! Guest layout, preopened in this order both when the snapshot is built and on every run
//! (the snapshot remembers the preopen table, so the order never changes):
//!
//! | guest path | what | access |
//! |---|---|---|
//! | `/usr/local/lib` | the standard library zip `python315.zip` | read-only |
//! | `/usr/local/lib/python315.zip/matplotlib/mpl-data` | matplotlib's data files | read-only |
//! | `/usr/local/notebook` | IPython and its dependencies (`[[wheel]]` in python.toml) | read-only |
//! | `/usr/local/site` | the assignment's extra pure-Python packages (often empty) | read-only |
//! | `/tmp` | scratch, fresh for each run, counted in the disk quota | writable |
//! | `/work` | the run's working copy (a fresh copy of the submission / `--root`) | writable |
//! | `/work/data` | the assignment's public data (else the copy's own `data/`, writable) | read-only |

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::support::{Support, py_str};
use super::{Installed, Invocation};
use crate::base::open_regular;
use crate::sandbox::outputs::copy_out;
use crate::sandbox::{
    Baseline, CopyLimits, Diagnostic, DiagnosticKind, Entry, Limits, Mount, RunRecord, RunSpec,
    RunnerInfo, Sandbox, copy_tree, diagnostics,
};

pub const GUEST_STDLIB: &str = "/usr/local/lib";
pub const GUEST_MPL_DATA: &str = "/usr/local/lib/python315.zip/matplotlib/mpl-data";
pub const GUEST_NOTEBOOK: &str = "/usr/local/notebook";
pub const GUEST_SITE: &str = "/usr/local/site";
pub const GUEST_TMP: &str = "/tmp";
pub const GUEST_WORK: &str = "/work";
pub const GUEST_DATA: &str = "/work/data";

/// The version of the guest layout above and of what the snapshot holds besides the
/// packages (the harness's sources compiled); a snapshot built under another is out of date.
pub const LAYOUT: u32 = 6;
const ARGV0: &str = "/usr/local/bin/python.wasm";

/// Host folders behind the fixed guest layout.
struct Layout {
    site: PathBuf,
    tmp: PathBuf,
    work: PathBuf,
    data: PathBuf,
    /// Whether `/work/data` is writable: it is when it is the copy's own `data/`.
    data_writable: bool,
}

fn mounts(installed: &Installed, layout: &Layout) -> Vec<Mount> {
    let mount = |guest: &str, host: &Path, writable| Mount {
        guest: guest.into(),
        host: host.to_path_buf(),
        writable,
    };
    vec![
        mount(GUEST_STDLIB, &installed.stdlib_dir(), false),
        mount(GUEST_MPL_DATA, &installed.mpl_data_dir(), false),
        mount(GUEST_NOTEBOOK, &installed.notebook_dir(), false),
        mount(GUEST_SITE, &layout.site, false),
        mount(GUEST_TMP, &layout.tmp, true),
        mount(GUEST_WORK, &layout.work, true),
        mount(GUEST_DATA, &layout.data, layout.data_writable),
    ]
}

/// The environment every Python run starts from; `--env` values are added on top.
fn base_env(seed: u64) -> Vec<(String, String)> {
    [
        ("HOME", "/tmp".to_string()),
        ("TMPDIR", "/tmp".to_string()),
        ("MPLBACKEND", "Agg".to_string()),
        ("MPLCONFIGDIR", "/tmp/matplotlib".to_string()),
        ("PYTHONHASHSEED", (seed % (1 << 32)).to_string()),
        ("PYTHONDONTWRITEBYTECODE", "1".to_string()),
        (
            "SOURCE_DATE_EPOCH",
            crate::sandbox::VIRTUAL_EPOCH_SECS.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Where the support module's notes are written in the guest (under the run's `/tmp`).
pub const GUEST_REPORT: &str = "/tmp/.takehome/diagnostics.jsonl";

/// Run when the snapshot is built, after the imports: what reads the metadata of every
/// installed distribution once and caches it for the process, so that it is in the snapshot.
/// scikit-learn's check of a DataFrame asks narwhals for its plugins (about a sixth of a
/// short pandas + scikit-learn script's whole run); the notebook's shell asks matplotlib's
/// backend registry (half of a one-cell notebook's). Public calls only; nothing here opens
/// a file that stays open (a snapshot keeps no descriptors).
const WARM_UP: &str = "from matplotlib.backends import backend_registry as _br\n\
_br.list_all()\n\
del _br\n\
import numpy as _np, pandas as _pd\n\
from sklearn.linear_model import LogisticRegression as _LR\n\
from sklearn.model_selection import train_test_split as _tts\n\
_X = _pd.DataFrame({'a': _np.arange(8.0), 'b': _np.arange(8.0)[::-1]})\n\
_y = _np.array([0, 1] * 4)\n\
_tts(_X, _y, test_size=0.25, random_state=0)\n\
_LR().fit(_X, _y).predict_proba(_X)\n\
del _np, _pd, _LR, _tts, _X, _y\n";

/// The guest folder a program runs from: `workdir` (relative to the top) when given, else
/// the entry's own folder inside the working copy.
pub fn entry_folder(entry: &str, workdir: Option<&str>) -> String {
    let relative = match workdir {
        Some(dir) => dir.trim_matches('/').to_string(),
        None => Path::new(entry)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    match relative.as_str() {
        "" => GUEST_WORK.to_string(),
        dir => format!("{GUEST_WORK}/{dir}"),
    }
}

/// The Python source that starts the candidate's script as `python script.py ARGS` would
/// from the script's own folder, with clean tracebacks and the run's diagnostics.
pub fn prelude(
    support: Support,
    entry: &str,
    workdir: Option<&str>,
    args: &[String],
    env: &[(String, String)],
    reseed: Option<u64>,
) -> String {
    format!(
        "{support}def _takehome_main():\n{setup}    _takehome.run_script({entry_path})\n_takehome_status = _takehome_main()\n",
        support = support.load(),
        setup = setup(entry, workdir, args, env, reseed),
        entry_path = py_str(&format!("{GUEST_WORK}/{entry}")),
    )
}

/// The body lines (indented four spaces) every Python run starts with, after
/// [`Support::load`]: `sys.argv`, the environment, the working folder, `sys.path`, the seeds
/// and the diagnostics hooks, through the support module. `os`, `sys` and `_takehome` are
/// imported.
pub(crate) fn setup(
    entry: &str,
    workdir: Option<&str>,
    args: &[String],
    env: &[(String, String)],
    reseed: Option<u64>,
) -> String {
    let argv: Vec<String> = std::iter::once(py_str(entry))
        .chain(args.iter().map(|a| py_str(a)))
        .collect();
    let env: Vec<String> = env
        .iter()
        .map(|(k, v)| format!("{}: {}", py_str(k), py_str(v)))
        .collect();
    let seed = match reseed {
        Some(seed) => seed.to_string(),
        None => "None".into(),
    };
    format!(
        "    import os, sys, _takehome\n    _takehome.prepare([{argv}], {{{env}}}, {folder}, seed={seed}, paths=[{site}, {notebook}], script_dir={script_dir})\n",
        argv = argv.join(", "),
        env = env.join(", "),
        folder = py_str(&entry_folder(entry, workdir)),
        script_dir = py_str(&entry_folder(entry, None)),
        site = py_str(GUEST_SITE),
        notebook = py_str(GUEST_NOTEBOOK),
    )
}

/// Checks that `script` is inside `folder` and returns its path relative to it.
pub(crate) fn entry_in(folder: &Path, script: &Path) -> anyhow::Result<String> {
    let folder = folder
        .canonicalize()
        .with_context(|| format!("cannot open folder {}", folder.display()))?;
    let script = script
        .canonicalize()
        .with_context(|| format!("cannot open {}", script.display()))?;
    let relative = script
        .strip_prefix(&folder)
        .map_err(|_| anyhow::anyhow!("{} is not inside {}", script.display(), folder.display()))?;
    let text = relative
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("{} is not UTF-8", relative.display()))?;
    Ok(text.to_string())
}

/// Runs the candidate's `script` (inside `folder`) on the snapshot or the plain interpreter.
pub fn run(
    sandbox: &Sandbox,
    installed: &Installed,
    use_snapshot: bool,
    folder: &Path,
    script: &Path,
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let tmp = tempfile::tempdir()?;
    run_source(
        sandbox,
        installed,
        use_snapshot,
        folder,
        script,
        invocation,
        tmp.path(),
        &|support, entry, env, reseed| {
            prelude(
                support,
                entry,
                invocation.workdir.as_deref(),
                &invocation.args,
                env,
                reseed,
            )
        },
    )
}

/// What a run executes: the Python source made from how it gets the harness's sources, the
/// entry (relative to the folder), the whole environment and the seed to reseed with
/// (`None` on the plain interpreter).
pub(crate) type Source<'a> = &'a dyn Fn(Support, &str, &[(String, String)], Option<u64>) -> String;

/// Runs the Python `source` under the fixed layout, with `tmp` as the guest's `/tmp`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_source(
    sandbox: &Sandbox,
    installed: &Installed,
    use_snapshot: bool,
    folder: &Path,
    script: &Path,
    invocation: &Invocation,
    tmp: &Path,
    source: Source<'_>,
) -> anyhow::Result<RunRecord> {
    let entry = entry_in(folder, script)?;
    if use_snapshot && let Some(extra) = invocation.mounts.first() {
        bail!(
            "--mount {}: the python runner's snapshot has a fixed layout (data/ only); \
                 use --runner python-plain for other mounts",
            extra.guest
        );
    }
    let empty = tempfile::tempdir()?;
    let copy = WorkCopy::make(folder, invocation.data.as_deref())?;
    let layout = Layout {
        site: invocation
            .site
            .clone()
            .unwrap_or_else(|| empty.path().to_path_buf()),
        tmp: tmp.to_path_buf(),
        work: copy.work.clone(),
        data: copy.data.clone(),
        data_writable: copy.data_writable,
    };
    let mut mounts = mounts(installed, &layout);
    mounts.extend(invocation.mounts.iter().cloned());
    let mut env = base_env(invocation.seed);
    env.extend(invocation.env.iter().cloned());
    let (module_path, sha256, entry_kind, runner) = if use_snapshot {
        let source = source(
            Support::for_snapshot(&installed.record.compiled_sources),
            &entry,
            &env,
            Some(invocation.seed),
        );
        let runner = RunnerInfo {
            name: "python".into(),
            version: Some(installed.record.version.clone()),
            entry: Some(entry.clone()),
            snapshot_sha256: Some(installed.record.snapshot_sha256.clone()),
            preimported: installed.record.preimport.clone(),
            ..RunnerInfo::default()
        };
        (
            installed.snapshot_module(),
            installed.record.snapshot_sha256.clone(),
            Entry::Turn(source),
            runner,
        )
    } else {
        let runner = RunnerInfo {
            name: "python-plain".into(),
            version: Some(installed.record.version.clone()),
            entry: Some(entry.clone()),
            ..RunnerInfo::default()
        };
        (
            installed.plain_module(),
            installed.record.plain_sha256.clone(),
            Entry::Run,
            runner,
        )
    };
    let args = if use_snapshot {
        vec![ARGV0.to_string()]
    } else {
        vec![
            ARGV0.to_string(),
            "-c".into(),
            source(Support::TEXT, &entry, &env, None),
        ]
    };
    if !sandbox.is_compiled(&sha256) {
        // Only the snapshot is compiled at install; python-plain compiles on first use.
        eprintln!(
            "compiling the {} interpreter (once; about a minute on two cores) ...",
            runner.name
        );
    }
    let module = sandbox.load_trusted(&sha256, || Ok(std::fs::read(&module_path)?))?;
    let spec = RunSpec {
        args,
        env,
        mounts,
        out_dir: Some(copy.work.clone()),
        baseline: std::sync::Arc::new(copy.baseline.clone()),
        report_missing_files: false,
        seed: invocation.seed,
        clock: invocation.clock,
        limits: invocation.limits.clone(),
        entry: entry_kind,
        runner,
    };
    let mut record = sandbox.run(&module, &spec);
    let mut found = diagnostics::Diagnostics::default();
    if let Some(report) = open_regular(&tmp.join(GUEST_REPORT.trim_start_matches("/tmp/"))) {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(
            &mut std::io::Read::take(report, diagnostics::MAX_REPORT_BYTES),
            &mut text,
        );
        found.add_reported(&text);
    }
    let mut notes = copy.notes.clone();
    notes.extend(found.into_vec());
    diagnostics::merge(&mut record.diagnostics, notes);
    record.methodology = super::methodology::read(tmp);
    if let Some(out) = &invocation.out {
        copy_out(
            &copy.work,
            &record.outputs,
            out,
            invocation.limits.out_bytes.0,
        )
        .with_context(|| format!("cannot copy the outputs to {}", out.display()))?;
    }
    Ok(record)
}

/// The run's working copy: a fresh copy of the candidate's folder, mounted writable at
/// `/work`, and the folder behind `/work/data`.
struct WorkCopy {
    _dir: tempfile::TempDir,
    work: PathBuf,
    data: PathBuf,
    data_writable: bool,
    baseline: Baseline,
    notes: Vec<Diagnostic>,
}

impl WorkCopy {
    /// Copies `folder`. An empty `out/` is made when the copy has none, so programs written
    /// for a writable `out/` beside a read-only folder still work. The assignment's public
    /// `data` is mounted over the copy's own `data/` (noted as a diagnostic when there is
    /// one); without public data, the copy's own `data/` is part of the writable copy.
    fn make(folder: &Path, data: Option<&Path>) -> anyhow::Result<WorkCopy> {
        let dir = tempfile::tempdir()?;
        let work = dir.path().join("work");
        let mut baseline = copy_tree(folder, &work, CopyLimits::default())?;
        if !work.join("out").exists() {
            baseline.ensure_dir(&work.join("out"))?;
        }
        let own_data = work.join("data");
        let mut notes = Vec::new();
        let (data, data_writable) = match data {
            Some(data) => {
                if own_data.exists() {
                    notes.push(Diagnostic {
                        kind: DiagnosticKind::DataShadowed,
                        detail: "data/".into(),
                        count: 1,
                        message: format!(
                            "the submission's own data/ is hidden: the assignment's public data \
                             is mounted read-only at {GUEST_DATA} in its place"
                        ),
                    });
                }
                (data.to_path_buf(), false)
            }
            None if own_data.is_dir() || !own_data.exists() => {
                baseline.ensure_dir(&own_data)?;
                (own_data, true)
            }
            None => {
                let empty = dir.path().join("no-data");
                std::fs::create_dir(&empty)?;
                (empty, false)
            }
        };
        Ok(WorkCopy {
            _dir: dir,
            work,
            data,
            data_writable,
            baseline,
            notes,
        })
    }
}

/// Builds the scientific snapshot from `python.wasm` under the fixed layout.
pub fn build_snapshot(
    sandbox: &Sandbox,
    installed: &Installed,
    python_wasm: &[u8],
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Vec<u8>> {
    let folders: Vec<tempfile::TempDir> = (0..4)
        .map(|_| tempfile::tempdir())
        .collect::<Result<_, _>>()?;
    let layout = Layout {
        site: folders[0].path().into(),
        tmp: folders[1].path().into(),
        work: folders[2].path().into(),
        data: folders[3].path().into(),
        data_writable: false,
    };
    let preimport = &installed.record.preimport;
    let mut source = format!(
        "import gc, os, sys\nos.makedirs('/tmp/matplotlib', exist_ok=True)\nsys.path.extend([{}, {}])\n",
        py_str(GUEST_SITE),
        py_str(GUEST_NOTEBOOK)
    );
    for module in preimport {
        source.push_str(&format!("import {module}\n"));
    }
    source.push_str("import matplotlib\nmatplotlib.use('Agg')\n");
    let roots: std::collections::BTreeSet<&str> = preimport
        .iter()
        .map(|m| m.split('.').next().unwrap_or(m))
        .collect();
    for root in roots {
        source.push_str(&format!("del {root}\n"));
    }
    source.push_str(WARM_UP);
    source.push_str(&super::support::compile_in_snapshot());
    // Frozen, the snapshot's objects are never traversed by a run's collections: a full
    // collection would otherwise walk (and fault in) the whole pre-imported heap.
    source.push_str("gc.collect()\ngc.freeze()\n");
    let spec = RunSpec {
        args: vec![ARGV0.to_string()],
        env: base_env(0),
        mounts: mounts(installed, &layout),
        out_dir: None,
        baseline: Default::default(),
        report_missing_files: false,
        seed: 0,
        clock: crate::sandbox::ClockMode::Virtual,
        limits: Limits {
            fuel: u64::MAX / 2,
            wall: std::time::Duration::from_secs(1800),
            memory: crate::sandbox::Bytes(4 << 30),
            ..Limits::default()
        },
        entry: Entry::Run,
        runner: RunnerInfo::default(),
    };
    sandbox.build_snapshot(python_wasm, &spec, &source, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_support_module_writes_its_notes_where_the_runner_reads_them() {
        assert!(
            crate::runner::support::SUPPORT.contains(&format!("REPORT = {}", py_str(GUEST_REPORT)))
        );
    }

    #[test]
    fn a_program_runs_from_its_own_folder_unless_told_otherwise() {
        assert_eq!(entry_folder("main.py", None), "/work");
        assert_eq!(entry_folder("notebooks/eda.py", None), "/work/notebooks");
        assert_eq!(entry_folder("scoring/score.py", Some("")), "/work");
        assert_eq!(entry_folder("a/b/c.py", Some("a/")), "/work/a");
    }
}
