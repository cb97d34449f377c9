//! The executed notebook and its cell records, from the notebook and what the driver
//! reported; and why a notebook that ran did not run clean.

use std::collections::BTreeMap;

use super::compare::compare_outputs;
use super::difference::{RandomUse, assign_causes, classify_outputs};
use super::format::{Cell, Notebook, Output};
use super::{CellResult, RAISES_TAG};
use crate::base::difference::{Difference, DifferenceKind};
use crate::record::{CellError, CellRecord, CellStatus, NotebookRecord, SavedOutput};

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
    let mut random: Vec<Option<RandomUse>> = Vec::new();
    let mut saved_counts = Vec::new();
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
        saved_counts.push(*execution_count);
        let cell_record = match by_index.remove(&index) {
            Some(result) => {
                random.push(result.random);
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
                    difference: classify_outputs(&saved, outputs),
                }
            }
            None => {
                random.push(None);
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
                    difference: (!saved.is_empty()).then(|| Difference {
                        kind: DifferenceKind::Content,
                        summary: "the rerun stopped before this cell".into(),
                        cause: None,
                        numbers: None,
                        only_figures: false,
                    }),
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
    assign_causes(&mut cells, &random, &saved_counts);
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
