//! Running Jupyter notebooks on the Python runner: read the `.ipynb` (nbformat 4), run its
//! code cells in order in one IPython shell inside the sandbox (the driver,
//! `notebook_driver.py`), and turn what the driver streamed out, cell by cell, into the
//! executed notebook and the run record's `notebook` part.
//!
//! The notebook is read with serde into the typed structs below rather than with the
//! `nbformat` crate: that crate gives cells without an id a fresh random UUID (so two runs
//! would not give the same executed notebook) and refuses a whole notebook when one rich
//! output does not match its typed schema.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::python::{self, GUEST_TMP};
use super::{Installed, Invocation};
use crate::sandbox::{
    CellError, CellOutput, CellRecord, CellStatus, ClockMode, NotebookRecord, RunRecord, Sandbox,
    SavedOutput, Verdict,
};

/// The driver run inside the interpreter.
pub(crate) const DRIVER: &str = include_str!("notebook_driver.py");
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

/// Text that nbformat stores either as one string or as a list of lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            One(String),
            Lines(Vec<String>),
        }
        Ok(Text(match Either::deserialize(d)? {
            Either::One(s) => s,
            Either::Lines(lines) => lines.concat(),
        }))
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.split_inclusive('\n'))
    }
}

/// A notebook in nbformat 4. Unknown top-level keys are kept as they were.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Notebook {
    pub nbformat: u32,
    pub nbformat_minor: u32,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    pub cells: Vec<Cell>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "cell_type", rename_all = "lowercase")]
pub enum Cell {
    Code {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        metadata: Map<String, Value>,
        source: Text,
        #[serde(default)]
        execution_count: Option<u64>,
        #[serde(default)]
        outputs: Vec<Output>,
    },
    Markdown {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        metadata: Map<String, Value>,
        source: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachments: Option<Value>,
    },
    Raw {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        metadata: Map<String, Value>,
        source: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachments: Option<Value>,
    },
}

impl Cell {
    pub fn source(&self) -> &str {
        match self {
            Cell::Code { source, .. }
            | Cell::Markdown { source, .. }
            | Cell::Raw { source, .. } => &source.0,
        }
    }

    fn tags(&self) -> Vec<String> {
        let metadata = match self {
            Cell::Code { metadata, .. }
            | Cell::Markdown { metadata, .. }
            | Cell::Raw { metadata, .. } => metadata,
        };
        metadata
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A MIME bundle: type → data (text as a string or list of lines, JSON as it is).
pub type Bundle = BTreeMap<String, Value>;

/// One output of a code cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "output_type", rename_all = "snake_case")]
pub enum Output {
    Stream {
        name: String,
        text: Text,
    },
    DisplayData {
        #[serde(default)]
        data: Bundle,
        #[serde(default)]
        metadata: Map<String, Value>,
    },
    ExecuteResult {
        #[serde(default)]
        execution_count: Option<u64>,
        #[serde(default)]
        data: Bundle,
        #[serde(default)]
        metadata: Map<String, Value>,
    },
    Error {
        ename: String,
        evalue: String,
        #[serde(default)]
        traceback: Vec<String>,
    },
}

impl Output {
    pub fn output_type(&self) -> &'static str {
        match self {
            Output::Stream { .. } => "stream",
            Output::DisplayData { .. } => "display_data",
            Output::ExecuteResult { .. } => "execute_result",
            Output::Error { .. } => "error",
        }
    }

    pub fn data(&self) -> Option<&Bundle> {
        match self {
            Output::DisplayData { data, .. } | Output::ExecuteResult { data, .. } => Some(data),
            _ => None,
        }
    }

    fn summary(&self) -> CellOutput {
        CellOutput {
            output_type: self.output_type().to_string(),
            mime: self
                .data()
                .map(|d| d.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }
}

/// The text of a MIME value stored as a string or as a list of lines.
pub fn mime_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(lines) => lines
            .iter()
            .map(|l| l.as_str())
            .collect::<Option<Vec<_>>>()
            .map(|l| l.concat()),
        _ => None,
    }
}

/// Reads a notebook, refusing anything that is not nbformat 4 with a message naming the file.
pub fn read(path: &Path) -> anyhow::Result<Notebook> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .len();
    if size > MAX_NOTEBOOK_BYTES {
        bail!(
            "{}: {size} bytes is larger than the {} accepted for a notebook",
            path.display(),
            crate::sandbox::Bytes(MAX_NOTEBOOK_BYTES)
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes).with_context(|| format!("{} is not a notebook we can run", path.display()))
}

/// Parses notebook bytes (nbformat 4 only).
pub fn parse(bytes: &[u8]) -> anyhow::Result<Notebook> {
    let value: Value = serde_json::from_slice(bytes).context("not JSON")?;
    match value.get("nbformat").and_then(Value::as_u64) {
        Some(4) => {}
        Some(other) => bail!(
            "nbformat {other}: only nbformat 4 is supported (open and save it in a current Jupyter to upgrade it)"
        ),
        None => bail!("no `nbformat` number: this JSON is not a Jupyter notebook"),
    }
    serde_json::from_value(value).context("not valid nbformat 4")
}

/// The notebook as nbformat 4 JSON, one-space indent as Jupyter writes it.
pub fn to_json(notebook: &Notebook) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut buf, formatter);
    notebook
        .serialize(&mut serializer)
        .expect("notebooks serialise");
    buf.push(b'\n');
    String::from_utf8(buf).expect("serde_json writes UTF-8")
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
}

/// The cells the driver reported, and whether it reached the end.
pub(crate) fn read_results(path: &Path, cap: u64) -> (Vec<CellResult>, bool) {
    let Some(file) = crate::sandbox::outputs::open_regular(path) else {
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
    entry: &str,
    workdir: Option<&str>,
    args: &[String],
    env: &[(String, String)],
    reseed: Option<u64>,
    cells_json: &str,
) -> String {
    let py = |s: &str| serde_json::to_string(s).expect("strings serialise");
    format!(
        "{support}{DRIVER}\ndef _takehome_notebook_main():\n{setup}    _takehome_notebook({cells}, {results})\n_takehome_status = _takehome_notebook_main()\n",
        support = python::load_support(),
        setup = python::setup(entry, workdir, args, env, reseed),
        cells = py(cells_json),
        results = py(&format!("{GUEST_TMP}/{RESULTS}")),
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
        &|entry, env, reseed| {
            source(
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

/// The executed notebook and the cell records, from the notebook and the driver's results.
/// `stopped`: what stopped the run in the first cell without a result (the cells after it
/// are skipped); `None` when nothing did, or the run stopped before this notebook.
pub(crate) fn merge(
    notebook: &Notebook,
    entry: &str,
    results: Vec<CellResult>,
    stopped: Option<&CellError>,
    virtual_clock: bool,
) -> (Notebook, NotebookRecord) {
    let mut by_index: BTreeMap<usize, CellResult> =
        results.into_iter().map(|r| (r.index, r)).collect();
    let mut executed = notebook.clone();
    let mut cells = Vec::new();
    let mut interrupted = false;
    for (index, cell) in executed.cells.iter_mut().enumerate() {
        let Cell::Code {
            execution_count,
            outputs,
            ..
        } = cell
        else {
            continue;
        };
        let saved = std::mem::take(outputs);
        let cell_record = match by_index.remove(&index) {
            Some(result) => {
                *execution_count = result.execution_count;
                *outputs = result.outputs;
                let status = if result.status == "ok" {
                    CellStatus::Ok
                } else {
                    CellStatus::Error
                };
                CellRecord {
                    index,
                    status,
                    execution_count: result.execution_count,
                    // Real clocks say nothing about fuel.
                    fuel_used: if virtual_clock { result.fuel_used } else { 0 },
                    outputs: outputs.iter().map(Output::summary).collect(),
                    error: result.error.filter(|_| status == CellStatus::Error),
                    saved_output: compare_outputs(&saved, outputs),
                }
            }
            None => {
                *execution_count = None;
                // The first cell without a result is the one a limit (or an exit) stopped.
                let stop = stopped.filter(|_| !interrupted);
                let stopped = stop.is_some();
                interrupted = true;
                if let Some(stop) = stop {
                    outputs.push(Output::Error {
                        ename: stop.ename.clone(),
                        evalue: stop.evalue.clone(),
                        traceback: Vec::new(),
                    });
                }
                CellRecord {
                    index,
                    status: if stopped {
                        CellStatus::Error
                    } else {
                        CellStatus::Skipped
                    },
                    execution_count: None,
                    fuel_used: 0,
                    outputs: outputs.iter().map(Output::summary).collect(),
                    error: stop.cloned(),
                    saved_output: if saved.is_empty() {
                        SavedOutput::None
                    } else {
                        SavedOutput::Differs
                    },
                }
            }
        };
        cells.push(cell_record);
    }
    if executed.nbformat_minor >= 5 {
        for (index, cell) in executed.cells.iter_mut().enumerate() {
            let (Cell::Code { id, .. } | Cell::Markdown { id, .. } | Cell::Raw { id, .. }) = cell;
            if id.is_none() {
                *id = Some(format!("cell-{index}"));
            }
        }
    }
    let record = NotebookRecord {
        path: entry.to_string(),
        cells,
        out_of_order: out_of_order(notebook),
        executed: None,
    };
    (executed, record)
}

/// Whether the saved execution counts are not increasing from top to bottom.
pub fn out_of_order(notebook: &Notebook) -> bool {
    let counts: Vec<u64> = notebook
        .cells
        .iter()
        .filter_map(|c| match c {
            Cell::Code {
                execution_count, ..
            } => *execution_count,
            _ => None,
        })
        .collect();
    counts.windows(2).any(|w| w[1] <= w[0])
}

/// Why a notebook that ran to its end (no limit) did not run clean: the first cell that
/// raised (cells tagged `raises-exception` excepted), or the cell the interpreter exited
/// before; `None` when every cell ran and none raised.
pub(crate) fn failure(notebook: &Notebook, cells: &NotebookRecord, done: bool) -> Option<String> {
    let failing = cells.cells.iter().find(|c| {
        c.status == CellStatus::Error
            && !notebook.cells[c.index]
                .tags()
                .iter()
                .any(|t| t == RAISES_TAG)
    });
    if let Some(cell) = failing {
        let error = cell
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.ename, e.evalue.lines().next().unwrap_or("")))
            .unwrap_or_default();
        return Some(format!(
            "cell {} (In [{}]) raised {error}",
            cell.index,
            cell.execution_count.unwrap_or(0)
        ));
    }
    if done {
        return None;
    }
    let next = cells.cells.iter().find(|c| c.status == CellStatus::Skipped);
    Some(match next {
        Some(cell) => format!(
            "the notebook stopped before cell {} ran (the interpreter exited)",
            cell.index
        ),
        None => "the notebook driver did not finish".into(),
    })
}

/// The first code cell whose status, execution count, fuel or outputs differ between two
/// runs of a notebook, described; `None` when every cell matches.
pub fn first_diverging_cell(before: &NotebookRecord, after: &NotebookRecord) -> Option<String> {
    for (x, y) in before.cells.iter().zip(&after.cells) {
        let what = if x.index != y.index {
            "the cells are not the same".to_string()
        } else if x.status != y.status {
            format!("status {:?} → {:?}", x.status, y.status)
        } else if x.error != y.error {
            let show = |e: &Option<CellError>| {
                e.as_ref()
                    .map(|e| format!("{}: {}", e.ename, e.evalue))
                    .unwrap_or_else(|| "no error".into())
            };
            format!("error {} → {}", show(&x.error), show(&y.error))
        } else if x.outputs != y.outputs {
            "its outputs differ in kind".to_string()
        } else if x.execution_count != y.execution_count {
            format!(
                "execution count {:?} → {:?}",
                x.execution_count, y.execution_count
            )
        } else if x.fuel_used != y.fuel_used {
            format!("fuel {} → {}", x.fuel_used, y.fuel_used)
        } else {
            continue;
        };
        return Some(format!("cell {} diverged first: {what}", x.index));
    }
    (before.cells.len() != after.cells.len())
        .then(|| format!("{} code cells → {}", before.cells.len(), after.cells.len()))
}

/// The first code cell whose outputs differ between two executed notebooks (same rules as
/// for saved outputs), described; `None` when they all match.
pub fn first_diverging_output(before: &Notebook, after: &Notebook) -> Option<String> {
    let code = |n: &Notebook| -> Vec<(usize, Vec<Output>)> {
        n.cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Cell::Code { outputs, .. } => Some((i, outputs.clone())),
                _ => None,
            })
            .collect()
    };
    let (a, b) = (code(before), code(after));
    for ((index, x), (_, y)) in a.iter().zip(&b) {
        if compare_outputs(x, y) == SavedOutput::Differs || (x.is_empty() != y.is_empty()) {
            let text = |outputs: &[Output]| {
                comparable(outputs)
                    .iter()
                    .map(output_text)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            return Some(format!(
                "cell {index} diverged first:\n{}",
                crate::evaluate::rerun::text_diff(&text(x), &text(y))
            ));
        }
    }
    (a.len() != b.len()).then(|| format!("{} code cells → {}", a.len(), b.len()))
}

/// An output as readable text: stream text, an error's name and value, or the plain text
/// (else the MIME types) of a bundle.
pub fn output_text(output: &Output) -> String {
    match output {
        Output::Stream { text, .. } => text.0.clone(),
        Output::Error { ename, evalue, .. } => format!("{ename}: {evalue}\n"),
        _ => {
            let data = output.data().cloned().unwrap_or_default();
            match data.get("text/plain").and_then(mime_text) {
                Some(text) => text + "\n",
                None => format!(
                    "[{}]\n",
                    data.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
}

/// Compares saved outputs with re-executed ones: `none` when nothing was saved.
pub fn compare_outputs(saved: &[Output], rerun: &[Output]) -> SavedOutput {
    if saved.is_empty() {
        return SavedOutput::None;
    }
    let (a, b) = (comparable(saved), comparable(rerun));
    if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| same_output(x, y)) {
        SavedOutput::Same
    } else {
        SavedOutput::Differs
    }
}

/// Outputs with consecutive streams of the same name joined, as a reader sees them.
fn comparable(outputs: &[Output]) -> Vec<Output> {
    let mut out: Vec<Output> = Vec::new();
    for output in outputs {
        if let (
            Output::Stream { name, text },
            Some(Output::Stream {
                name: last,
                text: last_text,
            }),
        ) = (output, out.last_mut())
            && name == last
        {
            last_text.0.push_str(&text.0);
            continue;
        }
        out.push(output.clone());
    }
    out
}

fn same_output(a: &Output, b: &Output) -> bool {
    match (a, b) {
        (Output::Stream { name: n, text: x }, Output::Stream { name: m, text: y }) => {
            n == m && same_text(&x.0, &y.0)
        }
        (
            Output::Error {
                ename: a,
                evalue: x,
                ..
            },
            Output::Error {
                ename: b,
                evalue: y,
                ..
            },
        ) => a == b && same_text(x, y),
        _ if a.output_type() == b.output_type() => match (a.data(), b.data()) {
            (Some(x), Some(y)) => same_bundle(x, y),
            _ => false,
        },
        _ => false,
    }
}

/// Compares the richest representation both bundles carry: images by pixels, else text.
fn same_bundle(x: &Bundle, y: &Bundle) -> bool {
    for mime in [
        "image/png",
        "image/jpeg",
        "image/svg+xml",
        "text/html",
        "text/markdown",
        "text/latex",
        "text/plain",
    ] {
        let (Some(p), Some(q)) = (x.get(mime), y.get(mime)) else {
            continue;
        };
        return match mime {
            "image/png" => same_png(p, q),
            "image/jpeg" => {
                mime_text(p).map(|s| s.trim().to_string())
                    == mime_text(q).map(|s| s.trim().to_string())
            }
            _ => match (mime_text(p), mime_text(q)) {
                (Some(s), Some(t)) => same_text(&s, &t),
                _ => p == q,
            },
        };
    }
    // Nothing in common that we can read: equal only if the bundles are.
    x == y
}

/// Two base64 PNGs with the same decoded pixels.
fn same_png(p: &Value, q: &Value) -> bool {
    match (
        mime_text(p).and_then(|s| decode_png(&s)),
        mime_text(q).and_then(|s| decode_png(&s)),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A PNG's size and RGBA8 pixels, from base64 (whitespace allowed); `None` if it does not decode.
pub fn decode_png(base64_text: &str) -> Option<(u32, u32, Vec<u8>)> {
    use base64::Engine;
    let clean: String = base64_text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .ok()?;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let info = reader.info();
    if u64::from(info.width) * u64::from(info.height) > 64 << 20 {
        return None;
    }
    let mut buf = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buf).ok()?;
    buf.truncate(frame.buffer_size());
    let rgba = to_rgba(frame.color_type, &buf)?;
    Some((frame.width, frame.height, rgba))
}

fn to_rgba(color: png::ColorType, buf: &[u8]) -> Option<Vec<u8>> {
    use png::ColorType::*;
    Some(match color {
        Rgba => buf.to_vec(),
        Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        Indexed => return None,
    })
}

/// Text equal after normalising memory addresses and trailing whitespace, numbers within
/// [`crate::evaluate::rerun::NUMERIC_TOLERANCE`] relative.
pub fn same_text(a: &str, b: &str) -> bool {
    let (x, y) = (tokens(a), tokens(b));
    x.len() == y.len()
        && x.iter().zip(&y).all(|(p, q)| match (p, q) {
            (Token::Number(m), Token::Number(n)) => close(*m, *n),
            _ => p == q,
        })
}

fn close(a: f64, b: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[derive(Debug, PartialEq)]
enum Token {
    Text(String),
    Number(f64),
}

/// Lines without trailing whitespace, `0x…` addresses replaced, and numbers split out.
fn tokens(text: &str) -> Vec<Token> {
    let normalised: String = text
        .trim_end()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    let chars: Vec<char> = normalised.chars().collect();
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A memory address: 0x followed by hex digits.
        if c == '0'
            && chars.get(i + 1) == Some(&'x')
            && chars.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            i += 2;
            while i < chars.len() && chars[i].is_ascii_hexdigit() {
                i += 1;
            }
            plain.push_str("0x…");
            continue;
        }
        let starts_number = c.is_ascii_digit()
            || (c == '-' || c == '.') && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
        let inside_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if starts_number && !inside_word {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '-' || chars[j] == '+') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let literal: String = chars[start..i].iter().collect();
            match literal.parse::<f64>() {
                Ok(n) => {
                    if !plain.is_empty() {
                        out.push(Token::Text(std::mem::take(&mut plain)));
                    }
                    out.push(Token::Number(n));
                }
                Err(_) => plain.push_str(&literal),
            }
            continue;
        }
        plain.push(c);
        i += 1;
    }
    if !plain.is_empty() {
        out.push(Token::Text(plain));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_compares_numbers_within_a_relative_tolerance() {
        assert!(same_text("loss 0.30000000000000004\n", "loss 0.3"));
        assert!(!same_text("loss 0.31", "loss 0.3"));
        assert!(same_text("1e10 rows", "10000000000.000001 rows"));
        assert!(!same_text("10 rows", "11 rows"));
    }

    #[test]
    fn text_ignores_memory_addresses_and_trailing_whitespace() {
        assert!(same_text(
            "<__main__.A at 0x7fc1fcc10f50>   \n\n",
            "<__main__.A at 0x1a2b>"
        ));
        assert!(!same_text("<A at 0x7f>", "<B at 0x7f>"));
    }

    #[test]
    fn hostile_notebooks_give_errors_not_panics() {
        for (bytes, expected) in [
            (&b"not json"[..], "not JSON"),
            (br#"{"nbformat": 3, "cells": []}"#, "only nbformat 4"),
            (br#"{"cells": []}"#, "no `nbformat`"),
            (
                br#"{"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code", "source": 7}]}"#,
                "not valid nbformat 4",
            ),
        ] {
            let error = format!("{:#}", parse(bytes).unwrap_err());
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn saved_execution_counts_that_go_back_are_out_of_order() {
        let notebook = |counts: &[Option<u64>]| Notebook {
            nbformat: 4,
            nbformat_minor: 5,
            metadata: Map::new(),
            extra: Map::new(),
            cells: counts
                .iter()
                .map(|&execution_count| Cell::Code {
                    id: None,
                    metadata: Map::new(),
                    source: Text::default(),
                    execution_count,
                    outputs: Vec::new(),
                })
                .collect(),
        };
        assert!(!out_of_order(&notebook(&[Some(1), None, Some(2), Some(5)])));
        assert!(out_of_order(&notebook(&[Some(3), Some(1)])));
    }

    #[test]
    fn a_rerun_names_the_first_cell_that_diverged() {
        let cell = |index, status, evalue: Option<&str>| CellRecord {
            index,
            status,
            execution_count: Some(index as u64),
            fuel_used: 10,
            outputs: Vec::new(),
            error: evalue.map(|v| CellError {
                ename: "ValueError".into(),
                evalue: v.into(),
            }),
            saved_output: SavedOutput::None,
        };
        let record = |cells| NotebookRecord {
            path: "nb.ipynb".into(),
            cells,
            out_of_order: false,
            executed: None,
        };
        let before = record(vec![
            cell(1, CellStatus::Ok, None),
            cell(3, CellStatus::Ok, None),
        ]);
        let after = record(vec![
            cell(1, CellStatus::Ok, None),
            cell(3, CellStatus::Error, Some("bad")),
        ]);
        assert_eq!(first_diverging_cell(&before, &before), None);
        let found = first_diverging_cell(&before, &after).unwrap();
        assert!(
            found.starts_with("cell 3 diverged first: status"),
            "{found}"
        );
    }

    #[test]
    fn sources_round_trip_as_lists_of_lines() {
        let notebook = parse(
            br#"{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
                {"cell_type": "code", "metadata": {}, "source": "a = 1\nb = 2", "execution_count": null, "outputs": []}]}"#,
        )
        .unwrap();
        let json: Value = serde_json::from_str(&to_json(&notebook)).unwrap();
        assert_eq!(
            json["cells"][0]["source"],
            serde_json::json!(["a = 1\n", "b = 2"])
        );
    }
}
