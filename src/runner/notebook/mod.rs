//! Running Jupyter notebooks on the Python runner: read the `.ipynb` (nbformat 4), run its
//! code cells in order in one IPython shell inside the sandbox (the driver,
//! `notebook_driver.py`), and turn what the driver streamed out, cell by cell, into the
//! executed notebook and the run record's `notebook` part.
//!
//! The notebook is read with serde into the typed structs below rather than with the
//! `nbformat` crate: that crate gives cells without an id a fresh random UUID (so two runs
//! would not give the same executed notebook) and refuses a whole notebook when one rich
//! output does not match its typed schema.
//!
//! Parts: [`format`] the nbformat 4 types, [`merge`] the executed notebook and cell records
//! from the driver's results, [`compare`] saved outputs against a rerun, [`difference`] what
//! kind of difference a cell shows and its likely cause.

mod compare;
mod difference;
mod format;
mod merge;
#[cfg(test)]
mod tests;

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;

use super::python::{self, GUEST_TMP};
use super::support::{Source, Support};
use super::{Installed, Invocation};
use crate::sandbox::{CellError, ClockMode, RunRecord, Sandbox, Verdict};

pub use crate::base::difference::same_text;
pub use compare::{
    compare_outputs, decode_png, first_diverging_cell, first_diverging_output, output_text,
};
pub use difference::{classify_outputs, reproducibility_line};

pub use format::{Bundle, Cell, Notebook, Output, Text, mime_text, parse, read, to_json};
pub use merge::out_of_order;
pub(crate) use merge::{failure, merge};

/// Larger notebooks are refused before they are read.
pub const MAX_NOTEBOOK_BYTES: u64 = 100 << 20;
/// Where the driver writes one JSON line per cell (under the run's `/tmp`).
const RESULTS: &str = ".takehome-notebook.jsonl";
/// Folder, under the output folder, that keeps executed notebooks.
pub const EXECUTED_DIR: &str = "executed";
/// Cells with this tag are expected to raise: their error does not fail the run.
const RAISES_TAG: &str = "raises-exception";

/// Whether `path` names a notebook.
pub fn is_notebook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ipynb"))
}

/// One line the driver wrote after a cell.
#[derive(Debug, Deserialize)]
pub(crate) struct CellResult {
    index: usize,
    execution_count: Option<u64>,
    status: String,
    #[serde(default)]
    fuel_used: u64,
    #[serde(default)]
    outputs: Vec<Output>,
    #[serde(default)]
    error: Option<CellError>,
    /// What the driver saw of the cell's random numbers.
    #[serde(default)]
    random: Option<difference::RandomUse>,
}

/// The cells the driver reported, and whether it reached the end.
pub(crate) fn read_results(path: &Path, cap: u64) -> (Vec<CellResult>, bool) {
    let Some(file) = crate::base::open_regular(path) else {
        return (Vec::new(), false);
    };
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut std::io::Read::take(file, cap), &mut text).is_err() {
        return (Vec::new(), false);
    }
    let mut results = Vec::new();
    for line in text.lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(v) if v.get("done") == Some(&Value::Bool(true)) => return (results, true),
            Ok(v) => match serde_json::from_value::<CellResult>(v) {
                Ok(result) => results.push(result),
                Err(_) => break,
            },
            // A line cut by a limit (or written by the candidate's own code) ends the list.
            Err(_) => break,
        }
    }
    (results, false)
}

/// The Python source of a notebook run: the driver, then the usual setup (which makes the
/// notebook's own folder the working directory), then the cells.
fn source(
    support: Support,
    entry: &str,
    workdir: Option<&str>,
    args: &[String],
    env: &[(String, String)],
    reseed: Option<u64>,
    cells_json: &str,
) -> String {
    let py = |s: &str| serde_json::to_string(s).expect("strings serialise");
    format!(
        "{load}{driver}def _takehome_notebook_main():\n{setup}    _takehome_notebook({cells}, {results})\n_takehome_status = _takehome_notebook_main()\n",
        load = support.load(),
        driver = support.driver(Source::NotebookDriver),
        setup = python::setup(entry, workdir, args, env, reseed),
        cells = py(cells_json),
        results = py(&format!("{GUEST_TMP}/{RESULTS}")),
    )
}

/// Whether the script at `path` was exported from a notebook and needs its shell: it calls
/// `get_ipython()` (Jupyter's and VS Code's exports turn magics into such calls).
pub fn is_exported_notebook(path: &Path) -> bool {
    let Some(file) = crate::base::open_regular(path) else {
        return false;
    };
    let mut text = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::Read::take(file, 4 << 20), &mut text);
    String::from_utf8_lossy(&text).contains("get_ipython(")
}

/// Runs the script `path` (inside `folder`), exported from a notebook, in the notebook's
/// shell: a script run in every other respect.
pub fn run_exported(
    sandbox: &Sandbox,
    installed: &Installed,
    use_snapshot: bool,
    folder: &Path,
    path: &Path,
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let tmp = tempfile::tempdir()?;
    python::run_source(
        sandbox,
        installed,
        use_snapshot,
        folder,
        path,
        invocation,
        tmp.path(),
        &|support, entry, env, reseed| {
            exported_script_source(
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

/// The Python source of a run of a script exported from a notebook: the driver, the usual
/// setup, then the script run in the notebook's shell.
fn exported_script_source(
    support: Support,
    entry: &str,
    workdir: Option<&str>,
    args: &[String],
    env: &[(String, String)],
    reseed: Option<u64>,
) -> String {
    let py = |s: &str| serde_json::to_string(s).expect("strings serialise");
    format!(
        "{load}{driver}def _takehome_notebook_main():\n{setup}    _takehome_notebook('[]', '', script={path})\n_takehome_status = _takehome_notebook_main()\n",
        load = support.load(),
        driver = support.driver(Source::NotebookDriver),
        setup = python::setup(entry, workdir, args, env, reseed),
        path = py(&format!("{}/{entry}", python::GUEST_WORK)),
    )
}

/// The code cells as the driver takes them: `[{"index": 3, "source": "..."}]`.
pub(crate) fn code_cells(notebook: &Notebook) -> Vec<Value> {
    notebook
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Cell::Code { .. }))
        .map(|(index, c)| serde_json::json!({"index": index, "source": c.source()}))
        .collect()
}

/// Runs the notebook `path` (inside `folder`) cell by cell.
pub fn run(
    sandbox: &Sandbox,
    installed: &Installed,
    use_snapshot: bool,
    folder: &Path,
    path: &Path,
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let notebook = read(path)?;
    let cells_json = serde_json::to_string(&code_cells(&notebook))?;
    let tmp = tempfile::tempdir()?;
    let mut record = python::run_source(
        sandbox,
        installed,
        use_snapshot,
        folder,
        path,
        invocation,
        tmp.path(),
        &|support, entry, env, reseed| {
            source(
                support,
                entry,
                invocation.workdir.as_deref(),
                &invocation.args,
                env,
                reseed,
                &cells_json,
            )
        },
    )?;
    let (results, done) = read_results(&tmp.path().join(RESULTS), invocation.limits.out_bytes.0);
    let entry = record.runner.entry.clone().unwrap_or_default();
    let (executed, notebook_record) = merge(
        &notebook,
        &entry,
        results,
        stopped_by(&record).as_ref(),
        record.clock == ClockMode::Virtual,
    );
    if record.verdict == Verdict::Ok
        && let Some(message) = failure(&notebook, &notebook_record, done)
    {
        record.verdict = Verdict::Exit;
        record.exit_code = Some(1);
        record.message = message;
    }
    let mut notebook_record = notebook_record;
    if let Some(out) = &invocation.out {
        let relative = format!("{EXECUTED_DIR}/{entry}");
        keep_executed(out, &[(relative.clone(), to_json(&executed))])?;
        notebook_record.executed = Some(relative);
        record.outputs = collect_kept(out, invocation);
    }
    record.notebook = Some(notebook_record);
    Ok(record)
}

/// What stopped a run that did not end well (a limit, an exit of the interpreter), as the
/// error of the cell it stopped.
pub(crate) fn stopped_by(record: &RunRecord) -> Option<CellError> {
    (record.verdict != Verdict::Ok).then(|| CellError {
        ename: record.verdict.to_string(),
        evalue: record.message.clone(),
    })
}

/// The outputs in `out` once the executed notebooks are in it: everything there is an
/// output, as it holds only the run's outputs and these notebooks.
pub(crate) fn collect_kept(out: &Path, invocation: &Invocation) -> Vec<crate::sandbox::OutputFile> {
    crate::sandbox::outputs::collect(
        out,
        invocation.limits.out_bytes.0.max(MAX_NOTEBOOK_BYTES),
        invocation.limits.out_files + 2,
        &crate::sandbox::Baseline::default(),
    )
}

/// Writes each executed notebook `(relative path, JSON)` under `out`. `out/executed` belongs
/// to takehome: whatever the guest left there (a file, a folder, a link pointing anywhere) is
/// removed first, so the host never writes through a link the guest made.
pub(crate) fn keep_executed(out: &Path, notebooks: &[(String, String)]) -> anyhow::Result<()> {
    let mine = out.join(EXECUTED_DIR);
    match std::fs::symlink_metadata(&mine) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&mine)?,
        Ok(_) => std::fs::remove_file(&mine)?,
        Err(_) => {}
    }
    for (relative, json) in notebooks {
        let target = out.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, json)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}
