//! Notebook figures: one notebook with pandas, scikit-learn and a matplotlib figure, executed
//! end to end as whole processes by `takehome run` and by native nbclient (a Jupyter kernel)
//! with the same packages, each keeping the executed notebook, side by side in one run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{Row, median, print_table};

/// The benchmark notebook's code cells: load and describe a frame, group it, fit and score a
/// model, draw a figure.
pub const CELLS: [&str; 5] = [
    "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n\
     from sklearn.linear_model import LogisticRegression\n\
     from sklearn.model_selection import train_test_split\n\
     from sklearn.metrics import roc_auc_score, roc_curve",
    "rng = np.random.default_rng(0)\nn = 3000\n\
     df = pd.DataFrame({'tenure': rng.integers(1, 72, n), 'monthly': rng.normal(70, 20, n).round(2),\n\
     \x20                  'tickets': rng.poisson(1.5, n)})\n\
     logit = -1.5 - 0.04 * df.tenure + 0.02 * df.monthly + 0.5 * df.tickets\n\
     df['churn'] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)\n\
     df.describe()",
    "df.groupby('tickets')['churn'].mean().to_frame('churn rate').head(8)",
    "X_train, X_test, y_train, y_test = train_test_split(\n\
     \x20   df[['tenure', 'monthly', 'tickets']], df.churn, test_size=0.3, random_state=0)\n\
     model = LogisticRegression(max_iter=500).fit(X_train, y_train)\n\
     scores = model.predict_proba(X_test)[:, 1]\n\
     print(f'ROC AUC {roc_auc_score(y_test, scores):.3f}')",
    "fpr, tpr, _ = roc_curve(y_test, scores)\nfig, ax = plt.subplots(figsize=(4, 4))\n\
     ax.plot(fpr, tpr)\nax.plot([0, 1], [0, 1], linestyle='--')\n\
     ax.set_xlabel('false positive rate')\nax.set_ylabel('true positive rate')\nax.set_title('ROC')",
];

/// The native side: read, execute in a fresh kernel, write, as `jupyter nbconvert --execute` does.
const NATIVE: &str = "import sys, nbformat\nfrom nbclient import NotebookClient\n\
nb = nbformat.read(sys.argv[1], as_version=4)\n\
NotebookClient(nb, kernel_name='python3', timeout=600).execute()\n\
nbformat.write(nb, sys.argv[2])\n";

/// What the native side must be able to import.
const NATIVE_MODULES: &str = "nbclient, nbformat, ipykernel, pandas, sklearn, matplotlib";

/// How to make a native side, for the message when there is none.
pub const NATIVE_HELP: &str = "python3 -m venv /tmp/nbvenv && /tmp/nbvenv/bin/pip install nbclient ipykernel pandas scikit-learn matplotlib nbformat";

/// The benchmark notebook as nbformat 4 JSON (no saved outputs).
pub fn notebook_json() -> String {
    serde_json::to_string_pretty(&notebook_value(&CELLS)).expect("notebooks serialise")
}

/// A notebook of these code cells, without saved outputs, as nbformat 4.
pub(super) fn notebook_value(cells: &[&str]) -> serde_json::Value {
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .enumerate()
        .map(|(i, source)| {
            serde_json::json!({"cell_type": "code", "id": format!("cell-{i}"), "metadata": {},
                               "source": source, "execution_count": null, "outputs": []})
        })
        .collect();
    serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    })
}

/// Checks that `native_python` can run the native side; the error says what to install.
pub fn check_native(native_python: &Path) -> anyhow::Result<String> {
    let out = Command::new(native_python)
        .args([
            "-c",
            &format!("import sys, {NATIVE_MODULES}; print(sys.version.split()[0])"),
        ])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start {}", native_python.display()))?;
    if !out.status.success() {
        bail!(
            "{} cannot import {NATIVE_MODULES}: {}",
            native_python.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What the bench notebook's executed form must show: the model's score, a table, a figure.
const SHOWN: [&str; 3] = ["ROC AUC 0.", "image/png", "<table"];

/// Whether an executed notebook holds each of `shown`.
pub(super) fn check_executed(path: &Path, shown: &[&str]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("no executed notebook at {}", path.display()))?;
    if let Some(missing) = shown.iter().find(|s| !text.contains(**s)) {
        bail!("{} does not show {missing:?}", path.display());
    }
    Ok(())
}

/// `takehome run NOTEBOOK --out OUT`, a whole process; its executed notebook is checked.
pub(super) fn run_takehome(notebook: &Path, out: &Path, shown: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(std::env::current_exe()?)
        .arg("run")
        .arg(notebook)
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    anyhow::ensure!(
        status.success(),
        "takehome run {} failed ({status})",
        notebook.display()
    );
    let name = notebook.file_name().context("a notebook file")?;
    check_executed(&out.join("executed").join(name), shown)
}

/// nbclient in a fresh kernel of `native_python`, writing the executed notebook to `out`.
pub(super) fn run_native(
    native_python: &Path,
    notebook: &Path,
    out: &Path,
    shown: &[&str],
) -> anyhow::Result<()> {
    let result = Command::new(native_python)
        .args(["-c", NATIVE])
        .arg(notebook)
        .arg(out)
        .current_dir(notebook.parent().context("a notebook's folder")?)
        .stdin(Stdio::null())
        .output()?;
    anyhow::ensure!(
        result.status.success(),
        "nbclient failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    check_executed(out, shown)
}

/// First run and the median of the others, each a whole process.
pub(super) fn timings(
    iterations: usize,
    mut run: impl FnMut(usize) -> anyhow::Result<()>,
) -> anyhow::Result<(Duration, Duration)> {
    let mut times = Vec::new();
    for i in 0..=iterations {
        let started = Instant::now();
        run(i)?;
        times.push(started.elapsed());
    }
    let first = times.remove(0);
    Ok((first, median(&mut times)))
}

pub fn notebook(iterations: usize, native_python: &Path) -> anyhow::Result<()> {
    let version = check_native(native_python)?;
    let work = tempfile::tempdir()?;
    let notebook = work.path().join("bench.ipynb");
    std::fs::write(&notebook, notebook_json())?;
    let output = |side: &str, i: usize| -> PathBuf { work.path().join(format!("{side}-{i}")) };
    let takehome = timings(iterations, |i| {
        run_takehome(&notebook, &output("takehome", i), &SHOWN)
    })?;
    let native = timings(iterations, |i| {
        run_native(native_python, &notebook, &output("native", i), &SHOWN)
    })?;
    let vs = |d: Duration, n: Duration| format!("{:.2}x native", d.as_secs_f64() / n.as_secs_f64());
    let rows = vec![
        Row {
            what: format!("native nbclient + ipykernel, CPython {version}: first run"),
            median: native.0,
            note: "a fresh kernel per run, as `jupyter nbconvert --execute`".into(),
        },
        Row {
            what: format!("native nbclient + ipykernel, CPython {version}: warm"),
            median: native.1,
            note: format!("median of {iterations}"),
        },
        Row {
            what: "`takehome run bench.ipynb --out DIR`: first run".into(),
            median: takehome.0,
            note: vs(takehome.0, native.0),
        },
        Row {
            what: "`takehome run bench.ipynb --out DIR`: warm".into(),
            median: takehome.1,
            note: format!("{}; median of {iterations}", vs(takehome.1, native.1)),
        },
    ];
    print_table(
        "Notebook (whole process: pandas, scikit-learn, a matplotlib figure)",
        &rows,
    );
    Ok(())
}
