//! Which runner a queued job needs and which runners a worker offers: a job is claimed
//! only by a worker that can run it (a worker without runsc never takes a gVisor job).

use crate::runner::RunnerKind;
use crate::store::{Store, SubmissionRow};

/// The runner a run of `submission` needs: its assignment's fallback when it has one (the
/// run may end there), else the submission's runner.
pub async fn needed(store: &Store, submission: &SubmissionRow) -> anyhow::Result<RunnerKind> {
    let manifest: crate::assignment::SubmissionManifest = submission.decode_manifest()?;
    let assignment: crate::assignment::Assignment = store
        .assignment_of(&submission.pseudonym)
        .await?
        .decode_manifest()?;
    Ok(assignment.runner.fallback.unwrap_or(manifest.runner))
}

/// What this machine can run: every WebAssembly runner, and python-native when runsc is
/// installed.
pub fn local() -> Vec<RunnerKind> {
    RunnerKind::all()
        .into_iter()
        .filter(|k| *k != RunnerKind::PythonNative || crate::gvisor::Runsc::available())
        .collect()
}

/// `--runners python,python-native`: names, comma-separated; refuses python-native on a
/// machine without runsc, naming it.
pub fn parse(list: &[String]) -> Result<Vec<RunnerKind>, String> {
    let mut kinds = Vec::new();
    for name in list.iter().flat_map(|l| l.split(',')).map(str::trim) {
        let kind: RunnerKind = name.parse().map_err(|e| format!("--runners: {e}"))?;
        if kind == RunnerKind::PythonNative && !crate::gvisor::Runsc::available() {
            return Err(
                "--runners python-native: runsc (gVisor) is not installed on this machine".into(),
            );
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err("--runners names no runner".into());
    }
    Ok(kinds)
}
