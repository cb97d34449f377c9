//! Running again where the first run could not succeed: on the assignment's fallback runner
//! (`[runner] fallback`) when a run ended with `missing_module` for a package the fallback
//! provides, and on python-native with the older library versions a `version_drift`
//! diagnostic names, when the assignment allows a submission's own packages
//! (`allow_requirements`). The new record keeps the earlier one in `fallback_of`.

use std::path::{Path, PathBuf};

use crate::assignment::{RunnerSpec, normalize_package};
use crate::runner::causes::drift;
use crate::runner::native::{self, environment, requests::Request, requests::Requests};
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
/// run missed a package the fallback provides, and once more on python-native with older
/// library versions when the run failed with `version_drift` and the assignment allows a
/// submission's own packages. Returns the record that counts (earlier runs in its
/// `fallback_of`) and the runner that made it.
pub fn run(
    sandbox: &Sandbox,
    kind: RunnerKind,
    spec: &RunnerSpec,
    folder: &Path,
    programs: &[PathBuf],
    invocation: &Invocation,
) -> anyhow::Result<(RunRecord, RunnerKind)> {
    let first = runner::run_entries(sandbox, kind, folder, programs, invocation)?;
    let missed = spec
        .fallback
        .filter(|f| *f != kind)
        .and_then(|f| Some((f, missed_package(&first, f, &invocation.wheels)?)));
    let (record, kind) = match missed {
        None => (first, kind),
        Some((fallback, package)) => {
            let again = Again {
                runner: fallback,
                wheels: invocation.wheels.clone(),
                why: format!(": on {kind} it could not import {package}"),
            };
            (
                again.run(sandbox, spec, folder, programs, invocation, first)?,
                fallback,
            )
        }
    };
    if !spec.allow_requirements || record.verdict == Verdict::Ok {
        return Ok((record, kind));
    }
    with_older_versions(sandbox, spec, folder, programs, invocation, record, kind)
}

/// Runs `programs` again on python-native with the older versions `record`'s
/// `version_drift` diagnostics name (`pandas<3`), resolved to wheels beside the runner's
/// and the submission's. Without such a diagnostic, or when no older version has a wheel,
/// `record` stands, its message saying why.
fn with_older_versions(
    sandbox: &Sandbox,
    spec: &RunnerSpec,
    folder: &Path,
    programs: &[PathBuf],
    invocation: &Invocation,
    mut record: RunRecord,
    kind: RunnerKind,
) -> anyhow::Result<(RunRecord, RunnerKind)> {
    let older = drift::older_versions(&record.diagnostics);
    if older.is_empty() {
        return Ok((record, kind));
    }
    let asked = Requests {
        requests: older
            .iter()
            .map(|requirement| Request {
                name: normalize_package(requirement.split('<').next().unwrap_or(requirement)),
                requirement: requirement.clone(),
                asked_by: format!("version_drift: {requirement}"),
            })
            .collect(),
        warnings: Vec::new(),
    };
    let cache = crate::base::cache_dir();
    let (wheels, warnings) = environment::cached(&cache, &asked, &native::base_wheels())?;
    let older = older.join(", ");
    if wheels.is_empty() {
        record.message = format!(
            "{} (not run again with {older}: {})",
            record.message,
            warnings.join("; ")
        );
        return Ok((record, kind));
    }
    let native = RunnerKind::PythonNative;
    let again = Again {
        runner: native,
        wheels: invocation.wheels.iter().cloned().chain(wheels).collect(),
        why: format!(" with {older}: on {kind} it failed with version_drift"),
    };
    Ok((
        again.run(sandbox, spec, folder, programs, invocation, record)?,
        native,
    ))
}

/// A second run of the same programs after `first` could not succeed.
struct Again {
    runner: RunnerKind,
    /// The packages of the second run.
    wheels: Vec<LocalWheel>,
    /// Why it runs, after `run again on RUNNER` in its message (`: on python it could not
    /// import shap`, ` with pandas<3: ...`).
    why: String,
}

impl Again {
    /// Runs on `self.runner` with its limits and wheels; the record says why and keeps
    /// `first` in `fallback_of`.
    fn run(
        self,
        sandbox: &Sandbox,
        spec: &RunnerSpec,
        folder: &Path,
        programs: &[PathBuf],
        invocation: &Invocation,
        first: RunRecord,
    ) -> anyhow::Result<RunRecord> {
        let invocation = Invocation {
            limits: spec.limits.apply(&self.runner.default_limits()),
            wheels: self.wheels,
            ..invocation.clone()
        };
        let mut again = runner::run_entries(sandbox, self.runner, folder, programs, &invocation)?;
        again.message = format!(
            "{} (run again on {}{})",
            again.message, self.runner, self.why
        );
        again.fallback_of = Some(Box::new(first));
        Ok(again)
    }
}
