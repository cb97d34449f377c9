//! An assignment's fallback runner (`[runner] fallback`): a run that ended with
//! `missing_module` for a package the fallback provides is run again there, and the new
//! record keeps the first one in `fallback_of`.

use std::path::{Path, PathBuf};

use crate::assignment::RunnerSpec;
use crate::runner::wheels::LocalWheel;
use crate::runner::{self, Invocation, RunnerKind};
use crate::sandbox::{DiagnosticKind, RunRecord, Sandbox, Verdict};

/// The package of `fallback` (its base wheels and `extra`, the assignment's packages) that
/// `record` could not import, when the run should be run again there.
pub fn missed_package(
    record: &RunRecord,
    fallback: RunnerKind,
    extra: &[LocalWheel],
) -> Option<String> {
    if fallback != RunnerKind::PythonNative || record.verdict == Verdict::Ok {
        return None;
    }
    record
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::MissingModule)
        .find_map(|d| {
            let top = d.detail.split('.').next().unwrap_or(&d.detail);
            runner::native::package_for_module(top, extra)
        })
}

/// Runs `programs` on `kind`, then once more on the assignment's fallback when the first
/// run missed a package the fallback provides. Returns the record that counts and the
/// runner that made it.
pub fn run(
    sandbox: &Sandbox,
    kind: RunnerKind,
    spec: &RunnerSpec,
    folder: &Path,
    programs: &[PathBuf],
    invocation: &Invocation,
) -> anyhow::Result<(RunRecord, RunnerKind)> {
    let first = runner::run_entries(sandbox, kind, folder, programs, invocation)?;
    let Some(fallback) = spec.fallback.filter(|f| *f != kind) else {
        return Ok((first, kind));
    };
    let Some(package) = missed_package(&first, fallback, &invocation.wheels) else {
        return Ok((first, kind));
    };
    let invocation = Invocation {
        limits: spec.limits.apply(&fallback.default_limits()),
        ..invocation.clone()
    };
    let mut second = runner::run_entries(sandbox, fallback, folder, programs, &invocation)?;
    second.message = format!(
        "{} (run again on {fallback}: on {kind} it could not import {package})",
        second.message
    );
    second.fallback_of = Some(Box::new(first));
    Ok((second, fallback))
}
