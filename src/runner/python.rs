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
//! | `/work` | the run's working copy of the candidate's folder | writable |
//! | `/work/data` | the assignment's public data | read-only |

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::{Installed, Invocation};
use crate::sandbox::{Entry, Limits, Mount, RunRecord, RunSpec, RunnerInfo, Sandbox};

pub const GUEST_STDLIB: &str = "/usr/local/lib";
pub const GUEST_MPL_DATA: &str = "/usr/local/lib/python315.zip/matplotlib/mpl-data";
pub const GUEST_NOTEBOOK: &str = "/usr/local/notebook";
pub const GUEST_SITE: &str = "/usr/local/site";
pub const GUEST_TMP: &str = "/tmp";
pub const GUEST_WORK: &str = "/work";
pub const GUEST_DATA: &str = "/work/data";

/// The version of the guest layout above; a snapshot built under another is out of date.
pub const LAYOUT: u32 = 2;
const ARGV0: &str = "/usr/local/bin/python.wasm";

/// Host folders behind the fixed guest layout.
struct Layout {
    site: PathBuf,
    tmp: PathBuf,
    work: PathBuf,
    data: PathBuf,
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
        mount(GUEST_DATA, &layout.data, false),
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

fn py_str(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

/// The Python source that starts the candidate's script as `python script.py ARGS` would,
/// from the candidate's folder, with clean tracebacks.
pub fn prelude(
    entry: &str,
    args: &[String],
    env: &[(String, String)],
    reseed: Option<u64>,
) -> String {
    let entry_path = py_str(&format!("{GUEST_WORK}/{entry}"));
    format!(
        r#"def _takehome_main():
{setup}    try:
        runpy.run_path({entry_path}, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as error:
        import traceback
        tb = error.__traceback__
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith({work_prefix}):
            tb = tb.tb_next
        traceback.print_exception(type(error), error, tb)
        sys.exit(1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
_takehome_status = _takehome_main()
"#,
        setup = setup(entry, args, env, reseed),
        work_prefix = py_str(&format!("{GUEST_WORK}/")),
    )
}

/// The body lines (indented four spaces) every Python run starts with: `sys.argv`, the
/// environment, the working directory, the entry's folder on `sys.path`, and the seeds.
/// `os`, `sys` and `runpy` are imported.
pub(crate) fn setup(
    entry: &str,
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
    let entry_dir = py_str(&format!(
        "{GUEST_WORK}/{}",
        Path::new(entry)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let reseed = match reseed {
        Some(seed) => format!(
            "    import random\n    random.seed({seed})\n    if 'numpy' in sys.modules:\n        sys.modules['numpy'].random.seed({})\n",
            seed % (1 << 32)
        ),
        None => String::new(),
    };
    format!(
        r#"    import os, sys, runpy
    sys.argv = [{argv}]
    os.environ.clear()
    os.environ.update({{{env}}})
    os.makedirs(os.environ.get("MPLCONFIGDIR", "/tmp/matplotlib"), exist_ok=True)
    os.chdir({entry_dir})
    for _path in ({site}, {notebook}):
        if _path not in sys.path:
            sys.path.append(_path)
    import importlib
    importlib.invalidate_caches()
    sys.path.insert(0, {entry_dir}.rstrip("/"))
{reseed}"#,
        argv = argv.join(", "),
        env = env.join(", "),
        site = py_str(GUEST_SITE),
        notebook = py_str(GUEST_NOTEBOOK),
    )
}

/// Checks that `script` is inside `folder` and returns its path relative to it.
fn entry_in(folder: &Path, script: &Path) -> anyhow::Result<String> {
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
        &|entry, env, reseed| prelude(entry, &invocation.args, env, reseed),
    )
}

/// What a run executes: the Python source made from the entry (relative to the folder),
/// the whole environment and the seed to reseed with (`None` on the plain interpreter).
pub(crate) type Source<'a> = &'a dyn Fn(&str, &[(String, String)], Option<u64>) -> String;

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
            "--mount {}: the python runner's snapshot has a fixed layout (data/ and out/ only); \
                 use --runner python-plain for other mounts",
            extra.guest
        );
    }
    let empty = tempfile::tempdir()?;
    // The guest works in a copy: the candidate's folder is never written.
    let copy = tempfile::tempdir()?;
    copy_folder(folder, copy.path())?;
    let out_in_copy = copy.path().join("out");
    std::fs::create_dir_all(&out_in_copy)?;
    let own_data = copy.path().join("data");
    let data = match &invocation.data {
        Some(data) => data.clone(),
        None => {
            std::fs::create_dir_all(&own_data)?;
            own_data
        }
    };
    let layout = Layout {
        site: invocation
            .site
            .clone()
            .unwrap_or_else(|| empty.path().to_path_buf()),
        tmp: tmp.to_path_buf(),
        work: copy.path().to_path_buf(),
        data,
    };
    let mut mounts = mounts(installed, &layout);
    mounts.extend(invocation.mounts.iter().cloned());
    let mut env = base_env(invocation.seed);
    env.extend(invocation.env.iter().cloned());
    let (module_path, sha256, entry_kind, runner) = if use_snapshot {
        let source = source(&entry, &env, Some(invocation.seed));
        let runner = RunnerInfo {
            name: "python".into(),
            version: Some(installed.record.version.clone()),
            entry: Some(entry.clone()),
            snapshot_sha256: Some(installed.record.snapshot_sha256.clone()),
            preimported: installed.record.preimport.clone(),
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
        vec![ARGV0.to_string(), "-c".into(), source(&entry, &env, None)]
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
        out_dir: Some(out_in_copy.clone()),
        seed: invocation.seed,
        clock: invocation.clock,
        limits: invocation.limits.clone(),
        entry: entry_kind,
        runner,
    };
    let record = sandbox.run(&module, &spec);
    if let Some(out) = &invocation.out {
        copy_folder(&out_in_copy, out)?;
    }
    Ok(record)
}

/// Copies regular files and folders of `from` into `to`; links and anything else are left out.
fn copy_folder(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_folder(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
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
    source.push_str("gc.collect()\n");
    let spec = RunSpec {
        args: vec![ARGV0.to_string()],
        env: base_env(0),
        mounts: mounts(installed, &layout),
        out_dir: None,
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
