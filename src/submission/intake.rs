//! Taking in one submission: unpack safely, read its `submission.toml` or infer one
//! ([`super::infer`]), validate against the assignment, keep every file as a blob, and record
//! the version. A rejected upload leaves nothing behind.

use std::path::{Path, PathBuf};

use anyhow::Context;

use serde::{Deserialize, Serialize};

use super::archive::{self, Caps};
use super::infer;
use super::packages::{self, OwnPackage};
use crate::assignment::{self, Assignment, SubmissionManifest};
use crate::base::FileRef;
use crate::report::{Format, MAX_TEXT_BYTES, ReportFile, ReportText, notebook_cells};
use crate::runner::RunnerKind;
use crate::store::{Blobs, CandidateRow, Store, SubmissionRow, Workspace};

/// What intake found. Errors reject the upload; warnings are kept with the version and shown
/// to the candidate and to reviewers.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Validation {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// When the submission has no `submission.toml`: the manifest intake inferred, one
    /// `submission.toml` line per key with why it was chosen (`entry = "main.py"  # ...`).
    /// Empty when the candidate wrote the manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inferred: Vec<String>,
    /// Each required report section and whether the report has it.
    pub sections: Vec<(String, bool)>,
    /// python-native, when the assignment allows it: the wheels resolved for what the
    /// submission asks for (its `requirements.txt`, else its imports), kept as blobs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<OwnPackage>,
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
    /// The submission's top folder, relative to `dir` (`""` or `"name/"`).
    pub root: String,
    /// The files, with paths relative to the submission root.
    pub files: Vec<FileRef>,
    pub manifest: Option<SubmissionManifest>,
}

/// Where intake keeps things: the workspace's store and blobs, a scratch folder for
/// unpacking, and the caps uploads are held to.
pub struct Intake<'a> {
    pub store: &'a Store,
    pub blobs: &'a Blobs,
    pub scratch: PathBuf,
    pub caps: Caps,
}

impl<'a> Intake<'a> {
    /// A workspace's intake: its store and blobs, scratch under its `tmp/`, default caps.
    pub fn for_workspace(workspace: &'a Workspace) -> anyhow::Result<Intake<'a>> {
        let scratch = workspace.root.join("tmp");
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("cannot create {}", scratch.display()))?;
        // Uploads a killed `submit` or server left half unpacked.
        crate::base::remove_stale(&scratch, crate::base::STALE_AFTER);
        Ok(Intake {
            store: &workspace.store,
            blobs: &workspace.blobs,
            scratch,
            caps: Caps::default(),
        })
    }
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
    let files: Vec<FileRef> = unpacked
        .files
        .iter()
        .filter_map(|f| {
            f.path.strip_prefix(&root).map(|rel| FileRef {
                path: rel.to_string(),
                ..f.clone()
            })
        })
        .collect();
    let root_dir = unpacked.dir.path().join(root.trim_end_matches('/'));
    let manifest = match assignment::load_manifest(&root_dir) {
        Some(Ok(manifest)) => Some(manifest),
        Some(Err(problems)) => {
            validation
                .errors
                .extend(problems.iter().map(|p| p.to_string()));
            None
        }
        None => {
            let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
            match infer::infer(&paths, assignment) {
                Ok(inferred) => {
                    validation.inferred = inferred.lines;
                    validation.warnings.extend(inferred.warnings);
                    Some(inferred.manifest)
                }
                Err(error) => {
                    validation.errors.push(error);
                    None
                }
            }
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

/// Folder names that are part of a submission's own layout, never a wrapper around it.
const INNER_FOLDERS: [&str; 8] = [
    "src",
    "notebooks",
    "notebook",
    "scripts",
    "code",
    "docs",
    "report",
    "data",
];

/// An archive usually wraps everything in one folder; the submission root is then that
/// folder: when it holds `submission.toml`, or is not named like a folder of the
/// submission's own (`src/`, `notebooks/`, ...). Otherwise the root is the top.
fn submission_root(files: &[FileRef]) -> String {
    if files.iter().any(|f| f.path == assignment::SUBMISSION_TOML) {
        return String::new();
    }
    let mut tops = files
        .iter()
        .filter_map(|f| f.path.split_once('/').map(|(top, _)| top));
    match tops.next() {
        Some(top) if files.iter().all(|f| f.path.starts_with(&format!("{top}/"))) => {
            let candidate = format!("{top}/");
            let has_manifest = files
                .iter()
                .any(|f| f.path == format!("{candidate}{}", assignment::SUBMISSION_TOML));
            if has_manifest || !INNER_FOLDERS.contains(&top.to_ascii_lowercase().as_str()) {
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
    files: &[FileRef],
    root: &Path,
    validation: &mut Validation,
) {
    let has = |path: &str| files.iter().any(|f| f.path == path);
    let written = validation.inferred.is_empty();
    if manifest.runner != assignment.runner.name {
        validation.errors.push(format!(
            "submission.toml: runner = \"{}\", but this assignment runs on \"{}\"",
            manifest.runner, assignment.runner.name
        ));
    }
    for entry in &manifest.entry {
        if !has(entry) {
            validation.errors.push(format!(
                "the entry point {entry} named in submission.toml is missing"
            ));
        }
    }
    if let Some(error) = entry_fits(manifest, assignment) {
        validation.errors.push(error);
    }
    let mut missing_report = false;
    for report in &manifest.report {
        if !has(report) {
            missing_report = true;
            validation.errors.push(format!(
                "the report {report} named in submission.toml is missing"
            ));
        }
    }
    if missing_report || !validation.errors.is_empty() {
        return;
    }
    validation
        .warnings
        .extend(infer::differences(manifest, &assignment.deliverables));
    let read = read_report(manifest, files, root, validation);
    if !read.files.is_empty() {
        validation.sections =
            assignment::sections_in(&read.headings(), &assignment.deliverables.sections);
    }
    for (section, present) in &validation.sections {
        if !present {
            validation
                .warnings
                .push(format!("the report has no section \"{section}\""));
        }
    }
    let metric = assignment.scoring.metric.name();
    // An inferred manifest states no claims: the report's text is read for them.
    if !written {
        return;
    }
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

/// The report files intake reads for their headings: Markdown, text and notebooks' markdown
/// cells. A PDF is read (in a child process) when the review packet is made, not here.
fn read_report(
    manifest: &SubmissionManifest,
    files: &[FileRef],
    root: &Path,
    validation: &mut Validation,
) -> ReportText {
    let mut read = ReportText::default();
    for report in &manifest.report {
        let Some(format) = Format::of(report) else {
            validation.warnings.push(format!(
                "the report {report} is not Markdown, text, a PDF or a notebook: its sections are not checked"
            ));
            continue;
        };
        if format == Format::Pdf {
            validation.warnings.push(format!(
                "the report {report} is a PDF: its sections are checked in the review packet, not at intake"
            ));
            continue;
        }
        let bytes = files
            .iter()
            .find(|f| &f.path == report)
            .map_or(0, |f| f.bytes);
        if bytes > MAX_TEXT_BYTES {
            validation.warnings.push(format!(
                "the report {report} is {bytes} bytes, more than the {MAX_TEXT_BYTES} read: its sections are not checked"
            ));
            continue;
        }
        let bytes = std::fs::read(root.join(report)).unwrap_or_default();
        let source = match format {
            Format::Notebook => match notebook_cells(&bytes) {
                Ok(cells) => cells
                    .into_iter()
                    .map(|(_, cell)| cell)
                    .collect::<Vec<_>>()
                    .join("\n\n"),
                Err(e) => {
                    validation
                        .warnings
                        .push(format!("the report {report}: {e}"));
                    continue;
                }
            },
            _ => String::from_utf8_lossy(&bytes).into_owned(),
        };
        read.files.push(ReportFile {
            path: report.clone(),
            format,
            source,
            pdf: None,
            error: None,
        });
    }
    read
}

/// Whether the entry suits the runner: Python scripts or notebooks for the Python runners
/// (several entries only as notebooks run in order), a module for wasi.
fn entry_fits(manifest: &SubmissionManifest, assignment: &Assignment) -> Option<String> {
    let kind = assignment.runner.name;
    let ends = |path: &str, exts: &[&str]| {
        let lower = path.to_ascii_lowercase();
        exts.iter().any(|ext| lower.ends_with(ext))
    };
    let unfit: Vec<&String> = manifest
        .entry
        .iter()
        .filter(|e| match kind {
            RunnerKind::Wasi => !ends(e, &[".wasm", ".wat"]),
            RunnerKind::Python | RunnerKind::PythonPlain | RunnerKind::PythonNative => {
                !ends(e, &[".py", ".ipynb"])
            }
        })
        .collect();
    if let Some(first) = unfit.first() {
        let wants = match kind {
            RunnerKind::Wasi => "a .wasm or .wat module",
            _ => "a .py script or an .ipynb notebook",
        };
        return Some(format!(
            "the entry point {first} cannot run on the {kind} runner: it runs {wants}"
        ));
    }
    // Python entries (scripts and notebooks) may run one after another; a module runs alone.
    if manifest.entry.len() > 1 && kind == RunnerKind::Wasi {
        return Some(format!(
            "entry lists {} files ({}): the wasi runner runs one module; name one",
            manifest.entry.len(),
            manifest.entry.join(", ")
        ));
    }
    None
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
    let (inspected, mut validation) = inspect(source, &intake.scratch, &intake.caps, assignment);
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
    if assignment.runner.allow_requirements {
        let top = dir.path().join(&root);
        let entry = manifest.program().map(|e| top.join(e));
        let blobs = blobs.clone();
        let resolved =
            tokio::task::spawn_blocking(move || packages::resolve(&top, entry.as_deref(), &blobs))
                .await?;
        // A machine that cannot resolve (no pip, no registry) still takes the work in.
        match resolved {
            Ok((own, warnings)) => {
                validation.packages = own;
                validation.warnings.extend(warnings);
            }
            Err(error) => validation.warnings.push(format!(
                "the submission's own packages were not resolved: {error:#}"
            )),
        }
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
