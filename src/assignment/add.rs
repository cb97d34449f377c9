//! Adding a checked assignment folder to a workspace: every file kept as a blob, the
//! packages pinned, and a new version recorded (or the identical one found).

use std::path::Path;

use super::{Assignment, PackageTarget, Pin, content_files, content_hash};
use crate::base::{FileRef, now_ms};
use crate::store::{AssignmentRow, Blobs, Workspace};

/// What adding found: the version's row, whether it is new, and the wheels it pinned.
pub struct Added {
    pub row: AssignmentRow,
    pub added: bool,
    pub pinned: Vec<FileRef>,
}

/// Resolves an assignment's package pins to wheels for its target, given the wheels every
/// stored version already pinned (`runner::site::pin`; passed in so this stage does not
/// reach downstream).
pub type PinPackages =
    fn(&[Pin], PackageTarget, &[FileRef], &Blobs) -> anyhow::Result<Vec<FileRef>>;

/// Keeps every file of `dir` (already checked as `parsed`) and records the version. A folder
/// whose content is already stored is not added again.
pub async fn add(
    workspace: &Workspace,
    dir: &Path,
    parsed: &Assignment,
    pin: PinPackages,
) -> anyhow::Result<Added> {
    let hash = content_hash(dir)?;
    if let Some(row) = workspace.store.assignment(&hash).await? {
        return Ok(Added {
            row,
            added: false,
            pinned: Vec::new(),
        });
    }
    let mut files = Vec::new();
    for (path, abs) in content_files(dir)? {
        let sha256 = workspace.blobs.put_file(&abs)?;
        let bytes = std::fs::metadata(&abs)?.len();
        files.push(FileRef {
            path,
            bytes,
            sha256,
        });
    }
    let pinned = pin_packages(workspace, parsed, pin).await?;
    files.extend(pinned.iter().cloned());
    let row = AssignmentRow {
        content_hash: hash,
        id: parsed.id.clone(),
        revision: 0,
        version: parsed.version.clone(),
        title: parsed.title.clone(),
        manifest: serde_json::to_string(parsed)?,
        files: serde_json::to_string(&files)?,
        added_at: now_ms(),
    };
    let (row, added) = workspace.store.add_assignment(row).await?;
    Ok(Added { row, added, pinned })
}

/// Pins the assignment's extra packages, checked against the wheels every stored
/// assignment version pinned (the same name and version must be the same wheel).
async fn pin_packages(
    workspace: &Workspace,
    parsed: &Assignment,
    pin: PinPackages,
) -> anyhow::Result<Vec<FileRef>> {
    let pins: Vec<Pin> = parsed
        .runner
        .packages
        .iter()
        .map(|p| p.parse().map_err(|e: String| anyhow::anyhow!(e)))
        .collect::<anyhow::Result<_>>()?;
    if pins.is_empty() {
        return Ok(Vec::new());
    }
    let mut known = Vec::new();
    for row in workspace.store.assignments().await? {
        known.extend(pinned_wheels(&row)?);
    }
    let blobs = workspace.blobs.clone();
    let target = parsed.runner.package_target();
    tokio::task::spawn_blocking(move || pin(&pins, target, &known, &blobs)).await?
}

/// Where an assignment version keeps its pinned wheels among its files.
pub const WHEELS_UNDER: &str = "packages/";

/// The pinned wheels recorded with an assignment version.
pub fn pinned_wheels(row: &AssignmentRow) -> anyhow::Result<Vec<FileRef>> {
    let files = row.decode_files()?;
    Ok(files
        .into_iter()
        .filter(|f| f.path.starts_with(WHEELS_UNDER))
        .collect())
}
