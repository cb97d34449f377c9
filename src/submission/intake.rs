//! Taking in one submission: unpack safely, validate against the assignment, keep every
//! file as a blob, and record the version. A rejected upload leaves nothing behind.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::archive::{self, Caps, UnpackedFile};
use crate::assignment::{self, Assignment, SubmissionManifest};
use crate::store::{Blobs, CandidateRow, Store, SubmissionRow};

/// What intake found. Errors reject the upload; warnings are kept with the version.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Validation {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// Each required report section and whether the report has it.
    pub sections: Vec<(String, bool)>,
}

impl Validation {
    pub fn accepted(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The outcome of one `submit`.
pub enum Outcome {
    Accepted {
        row: SubmissionRow,
        validation: Validation,
    },
    Rejected {
        validation: Validation,
    },
}

/// An upload unpacked into a fresh folder, removed when this is dropped.
pub struct Inspected {
    pub dir: tempfile::TempDir,
    /// The folder holding `submission.toml`, relative to `dir` (`""` or `"name/"`).
    pub root: String,
    /// The files, with paths relative to the submission root.
    pub files: Vec<UnpackedFile>,
    pub manifest: Option<SubmissionManifest>,
}

/// Where intake keeps things: the workspace's store and blobs, a scratch folder for
/// unpacking, and the caps uploads are held to.
pub struct Intake<'a> {
    pub store: &'a Store,
    pub blobs: &'a Blobs,
    pub scratch: &'a Path,
    pub caps: Caps,
}

/// Unpacks `source` into a fresh folder under `scratch` and checks it.
pub fn inspect(
    source: &Path,
    scratch: &Path,
    caps: &Caps,
    assignment: &Assignment,
) -> (Option<Inspected>, Validation) {
    let mut validation = Validation::default();
    let unpacked = match archive::unpack(source, scratch, caps) {
        Ok(unpacked) => unpacked,
        Err(error) => {
            validation.errors.push(error.to_string());
            return (None, validation);
        }
    };
    let root = submission_root(&unpacked.files);
    let files: Vec<UnpackedFile> = unpacked
        .files
        .iter()
        .filter_map(|f| {
            f.path.strip_prefix(&root).map(|rel| UnpackedFile {
                path: rel.to_string(),
                ..f.clone()
            })
        })
        .collect();
    let root_dir = unpacked.dir.path().join(root.trim_end_matches('/'));
    let manifest = match assignment::load_manifest(&root_dir) {
        Ok(manifest) => Some(manifest),
        Err(problems) => {
            validation
                .errors
                .extend(problems.iter().map(|p| p.to_string()));
            None
        }
    };
    if let Some(manifest) = &manifest {
        check_manifest(manifest, assignment, &files, &root_dir, &mut validation);
    }
    (
        Some(Inspected {
            dir: unpacked.dir,
            root,
            files,
            manifest,
        }),
        validation,
    )
}

/// An archive usually wraps everything in one folder; the submission root is the folder
/// holding `submission.toml`, if that is one top-level folder, else the top.
fn submission_root(files: &[UnpackedFile]) -> String {
    if files.iter().any(|f| f.path == assignment::SUBMISSION_TOML) {
        return String::new();
    }
    let mut tops = files
        .iter()
        .filter_map(|f| f.path.split_once('/').map(|(top, _)| top));
    match tops.next() {
        Some(top) if files.iter().all(|f| f.path.starts_with(&format!("{top}/"))) => {
            let candidate = format!("{top}/");
            if files
                .iter()
                .any(|f| f.path == format!("{candidate}{}", assignment::SUBMISSION_TOML))
            {
                return candidate;
            }
            String::new()
        }
        _ => String::new(),
    }
}

fn check_manifest(
    manifest: &SubmissionManifest,
    assignment: &Assignment,
    files: &[UnpackedFile],
    root: &Path,
    validation: &mut Validation,
) {
    let has = |path: &str| files.iter().any(|f| f.path == path);
    if manifest.runner != assignment.runner.name {
        validation.errors.push(format!(
            "submission.toml: runner = \"{}\", but this assignment runs on \"{}\"",
            manifest.runner, assignment.runner.name
        ));
    }
    if !has(&manifest.entry) {
        validation.errors.push(format!(
            "the entry point {} named in submission.toml is missing",
            manifest.entry
        ));
    }
    if !has(&manifest.report) {
        validation.errors.push(format!(
            "the report {} named in submission.toml is missing",
            manifest.report
        ));
        return;
    }
    let report = std::fs::read_to_string(root.join(&manifest.report)).unwrap_or_default();
    validation.sections = assignment::report_sections(&report, &assignment.deliverables.sections);
    for (section, present) in &validation.sections {
        if !present {
            validation
                .warnings
                .push(format!("the report has no section \"{section}\""));
        }
    }
    let metric = assignment.scoring.metric.name();
    if manifest.claims.is_empty() {
        validation.warnings.push(format!(
            "submission.toml states no claims (e.g. {metric} = 0.87)"
        ));
    } else if !manifest.claims.contains_key(metric) {
        validation.warnings.push(format!(
            "submission.toml claims no value for the scored metric {metric}"
        ));
    }
}

/// Takes in `source` for `candidate`: validates, keeps the files as blobs, records the version.
pub async fn submit(
    intake: &Intake<'_>,
    candidate: &CandidateRow,
    assignment: &Assignment,
    source: &Path,
    now: i64,
) -> anyhow::Result<Outcome> {
    let (store, blobs) = (intake.store, intake.blobs);
    let (inspected, validation) = inspect(source, intake.scratch, &intake.caps, assignment);
    let Some(Inspected {
        dir,
        root,
        files,
        manifest: Some(manifest),
    }) = inspected.filter(|_| validation.accepted())
    else {
        return Ok(Outcome::Rejected { validation });
    };
    // Blobs first, each written whole; the version row last, in one transaction. A crash in
    // between leaves unreferenced blobs and no half-recorded version.
    for file in &files {
        let path = dir.path().join(&root).join(&file.path);
        let sha = blobs.put_file(&path)?;
        anyhow::ensure!(
            sha == file.sha256,
            "{} changed while it was stored",
            file.path
        );
    }
    let row = SubmissionRow {
        id: String::new(),
        pseudonym: candidate.pseudonym.clone(),
        seq: 0,
        content_hash: archive::sha256_tree(&files),
        files: serde_json::to_string(&files)?,
        manifest: serde_json::to_string(&manifest)?,
        validation: serde_json::to_string(&validation)?,
        received_at: now,
        late: now > candidate.due_at,
        same_as: None,
    };
    let row = store.add_submission(row).await?;
    Ok(Outcome::Accepted { row, validation })
}
