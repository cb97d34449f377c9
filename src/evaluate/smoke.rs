//! What a candidate may see of their upload's evaluation (the smoke run): whether their
//! code started, its verdict, the first lines of stderr, missing outputs, failed notebook
//! cells and what could not run. Never the score or the claims: those are for reviewers.

use serde::Serialize;

use super::Evaluation;
use crate::assignment::Assignment;
use crate::record::Verdict;

/// How many lines of stderr a candidate sees.
const STDERR_LINES: usize = 20;

#[derive(Clone, Debug, Default, Serialize)]
pub struct SmokeRun {
    /// `started` or `did not start` (the module was refused before running).
    pub started: String,
    pub verdict: Option<Verdict>,
    pub message: String,
    pub stderr: String,
    pub missing_outputs: Vec<String>,
    /// For a notebook: the cells that failed, each with its first error line.
    pub failed_cells: Vec<String>,
    /// Why parts of the code could not run (missing modules, files, network), one line each.
    pub diagnostics: Vec<String>,
}

impl SmokeRun {
    pub fn of(evaluation: &Evaluation, assignment: &Assignment) -> SmokeRun {
        let record = &evaluation.record;
        let refused = matches!(
            record.verdict,
            Verdict::InvalidModule | Verdict::LinkError | Verdict::CompileLimit
        );
        let failed_cells = record
            .notebooks()
            .into_iter()
            .flat_map(|notebook| {
                notebook.cells.iter().filter_map(|cell| {
                    let error = cell.error.as_ref()?;
                    let first = error.evalue.lines().next().unwrap_or("");
                    let (path, index, name) = (&notebook.path, cell.index, &error.ename);
                    Some(format!("{path} cell {index}: {name}: {first}"))
                })
            })
            .collect();
        SmokeRun {
            started: if refused { "did not start" } else { "started" }.into(),
            verdict: Some(record.verdict),
            message: record.message.clone(),
            stderr: (record.stderr.text.lines().take(STDERR_LINES))
                .collect::<Vec<_>>()
                .join("\n"),
            missing_outputs: (assignment.deliverables.outputs.iter())
                .filter(|want| !evaluation.outputs.iter().any(|o| &o.path == *want))
                .cloned()
                .collect(),
            failed_cells,
            diagnostics: record
                .diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect(),
        }
    }
}
