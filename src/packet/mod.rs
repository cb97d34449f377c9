//! Blind review packets: one self-contained HTML page (and its JSON twin) per submission
//! version, showing the report, the code, the run, the score, the claims, reproducibility
//! and the rubric. Only the pseudonym identifies the candidate: the candidate row (name,
//! email) is never read into a [`Packet`], and everything else that could identify the
//! candidate is replaced before a packet leaves [`collect`] ([`redact`]).

mod blind;
pub mod data_view;
pub mod markdown;
pub mod methodology_view;
pub mod notebook;
pub mod redact;
pub mod render;
pub mod report_view;
mod sandbox_line;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::assignment::{Assignment, Criterion, SubmissionManifest};
use crate::base::FileRef;
use crate::evaluate::claims::ClaimCheck;
use crate::evaluate::model::ModelCheck;
use crate::evaluate::rerun::Difference;
use crate::evaluate::{Evaluation, ScoreBasis, ScoreOutcome};
use crate::record::Verdict;
use crate::store::{RunPurpose, SubmissionRow, Workspace};
use crate::submission::intake::Validation;

/// Text files shown in full with line numbers, by extension.
const CODE_EXTENSIONS: &[&str] = &["py", "md", "toml", "txt"];
/// Larger text files are listed, not shown.
const CODE_MAX_BYTES: u64 = 200 * 1024;
/// CSV outputs show this many data rows.
const TABLE_ROWS: usize = 50;
/// Images larger than this are listed, not embedded.
const IMAGE_MAX_BYTES: u64 = 8 << 20;

/// Everything a reviewer sees; also the JSON twin.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Packet {
    pub assignment: AssignmentInfo,
    pub pseudonym: String,
    pub submission_id: String,
    pub received_at: String,
    pub late: bool,
    pub report: Report,
    /// What intake found: the manifest it inferred (no `submission.toml`) and its warnings,
    /// such as a deliverable handed in under another form.
    #[serde(default)]
    pub intake: IntakeView,
    pub code: Vec<CodeFile>,
    /// Notebooks, shown as notebooks (with the rerun's outputs where they differ).
    pub notebooks: Vec<notebook::NotebookView>,
    /// Data files (CSV, TSV, Excel, Parquet), shown as tables after the code and notebooks.
    #[serde(default)]
    pub data: Vec<data_view::DataView>,
    /// Submission files not shown as code, notebooks or data.
    pub other_files: Vec<FileRef>,
    /// The newest evaluation; `None`: not evaluated yet.
    pub run: Option<RunSummary>,
    /// The newest rerun; `None`: not rerun yet.
    pub reproducibility: Option<Reproducibility>,
    /// What the methodology tracer saw in the newest evaluation (leakage, test-set misuse).
    #[serde(default)]
    pub methodology: Option<methodology_view::MethodologySection>,
    pub rubric: Vec<Criterion>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AssignmentInfo {
    pub id: String,
    pub title: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IntakeView {
    /// `submission.toml` lines intake inferred; empty when the candidate wrote one.
    pub inferred: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// The report file, or the files joined by ", " (notebooks whose Markdown is the report).
    pub path: String,
    /// Whether the submission holds the report file.
    pub present: bool,
    /// How the report file is read; `None` when it is missing.
    pub format: Option<crate::report::Format>,
    /// The Markdown or text source (a notebook's markdown cells).
    pub markdown: String,
    /// Rendered and sanitised.
    pub html: String,
    /// Required sections, matched against every heading of the report (PDFs included).
    pub sections: Vec<Section>,
    /// The report's PDFs (the report itself, or beside it).
    #[serde(default)]
    pub pdfs: Vec<report_view::PdfView>,
    /// Report files that could not be read.
    #[serde(default)]
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub present: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CodeFile {
    pub path: String,
    pub bytes: u64,
    pub lines: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: String,
    pub verdict: Verdict,
    pub message: String,
    /// Which sandbox ran the program (WebAssembly or gVisor, with versions), and the run a
    /// fallback replaced. Empty in packets written before it existed.
    #[serde(default)]
    pub sandbox: String,
    pub exit_code: Option<i32>,
    pub trap: Option<String>,
    /// Limit name → value as stored (`"10s"`, `"256MiB"`, numbers).
    pub limits: serde_json::Value,
    pub fuel_used: u64,
    pub wall_ms: u64,
    pub peak_memory_bytes: u64,
    pub stdout: String,
    pub stdout_truncated: bool,
    pub stderr: String,
    pub stderr_truncated: bool,
    /// Why parts of the program could not run: one readable line each, with its count.
    #[serde(default)]
    pub diagnostics: Vec<String>,
    pub score: ScoreOutcome,
    /// The score value as shown, or `None` if there is none.
    pub score_text: Option<String>,
    /// What the score was computed from (`run`, `model inference`, `as handed in, not
    /// reproduced`), and why not from the run.
    #[serde(default = "ScoreBasis::run")]
    pub score_basis: ScoreBasis,
    #[serde(default)]
    pub not_run_reason: Option<String>,
    /// The handed-in model, run by takehome, and its lines as shown.
    #[serde(default)]
    pub model: Option<ModelCheck>,
    #[serde(default)]
    pub model_lines: Vec<String>,
    pub claims: Vec<ClaimView>,
    /// Every claim found in the report text, with its quote, beside the measured value.
    #[serde(default)]
    pub report_claims: Vec<ClaimView>,
    pub outputs: Vec<OutputView>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClaimView {
    #[serde(flatten)]
    pub check: ClaimCheck,
    pub claimed_text: String,
    pub measured_text: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputView {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// First rows of a CSV output.
    pub table: Option<Table>,
    /// `data:` URI of a PNG or JPEG output (only base64 characters after the MIME type).
    pub image: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Data rows in the whole file.
    pub total_rows: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reproducibility {
    pub run_id: String,
    pub reproducible: bool,
    pub original_run: String,
    pub differences: Vec<Difference>,
}

/// Collects the de-identified packet of one submission version.
pub async fn collect(workspace: &Workspace, submission: &SubmissionRow) -> anyhow::Result<Packet> {
    Ok(collect_with_redactions(workspace, submission).await?.0)
}

/// Collects the de-identified packet of one submission version, and what was replaced where
/// (for the hiring lead; never put into a packet).
pub async fn collect_with_redactions(
    workspace: &Workspace,
    submission: &SubmissionRow,
) -> anyhow::Result<(Packet, Vec<redact::Redaction>)> {
    let store = &workspace.store;
    let assignment_row = store
        .assignment_of(&submission.pseudonym)
        .await
        .context("the submission's assignment")?;
    let assignment: Assignment = assignment_row.decode_manifest()?;
    let files: Vec<FileRef> = submission.decode_files()?;
    let report_paths = submission.decode_manifest::<SubmissionManifest>()?.report;
    let validation: Validation = submission.decode_validation()?;

    let evaluation: Option<(String, Evaluation)> = match store
        .latest_run(&submission.id, RunPurpose::Evaluate)
        .await?
    {
        Some(row) => Some((row.id.clone(), row.decode_evaluation()?)),
        None => None,
    };
    let mut code = Vec::new();
    let mut notebooks = Vec::new();
    let mut other_files = Vec::new();
    let mut data = Vec::new();
    for file in &files {
        if data_view::DataFormat::of(&file.path).is_some() {
            let bytes = if file.bytes <= data_view::MAX_BYTES {
                workspace.blobs.get(&file.sha256).ok()
            } else {
                None
            };
            data.push(data_view::view(&file.path, file.bytes, bytes.as_deref()));
            continue;
        }
        if crate::runner::notebook::is_notebook(std::path::Path::new(&file.path))
            && file.bytes <= crate::runner::notebook::MAX_NOTEBOOK_BYTES
        {
            let bytes = workspace.blobs.get(&file.sha256)?;
            let record = evaluation.as_ref().and_then(|(_, e)| {
                e.record
                    .notebooks()
                    .into_iter()
                    .find(|n| n.path == file.path)
            });
            // The executed notebook is kept among the outputs, at its path from the top.
            let executed = record
                .and_then(|n| n.executed.as_ref())
                .and_then(|kept| {
                    evaluation
                        .as_ref()
                        .and_then(|(_, e)| e.outputs.iter().find(|o| &o.path == kept))
                })
                .and_then(|kept| workspace.blobs.get(&kept.sha256).ok())
                .and_then(|b| crate::runner::notebook::parse(&b).ok());
            notebooks.push(notebook::view(
                &file.path,
                &bytes,
                executed.as_ref(),
                record,
            ));
            continue;
        }
        let ext = file
            .path
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase());
        let text = if ext.as_deref().is_some_and(|e| CODE_EXTENSIONS.contains(&e))
            && file.bytes <= CODE_MAX_BYTES
        {
            String::from_utf8(workspace.blobs.get(&file.sha256)?).ok()
        } else {
            None
        };
        match text {
            // The report is shown rendered (its source is in the JSON twin).
            Some(_) if report_paths.contains(&file.path) => {}
            Some(text) => code.push(CodeFile {
                path: file.path.clone(),
                bytes: file.bytes,
                lines: text.lines().map(str::to_string).collect(),
            }),
            None => other_files.push(FileRef {
                path: file.path.clone(),
                bytes: file.bytes,
                sha256: file.sha256.clone(),
            }),
        }
    }
    let (mut report, report_text) =
        report_view::build(&workspace.blobs, &files, &report_paths, &assignment);
    // Who the candidate is must be known before page images are made: they are covered
    // where the identity is drawn.
    let mut redactor = blind::learn(workspace, &submission.pseudonym, &files, &report_text).await?;
    report_view::render_pages(
        &workspace.blobs,
        &files,
        &mut report,
        &mut redactor,
        &assignment,
    );

    let run = match &evaluation {
        Some((id, evaluation)) => Some(summarize(workspace, id, evaluation)?),
        None => None,
    };
    let reproducibility = match store.latest_run(&submission.id, RunPurpose::Rerun).await? {
        Some(row) => {
            let evaluation: Evaluation = row.decode_evaluation()?;
            evaluation.comparison.map(|c| Reproducibility {
                run_id: row.id.clone(),
                reproducible: c.reproducible,
                original_run: c.original_run,
                differences: c.differences,
            })
        }
        None => None,
    };

    let methodology = evaluation.as_ref().and_then(|(_, e)| {
        methodology_view::section(e.record.methodology.as_ref(), &code, &notebooks)
    });
    let packet = Packet {
        assignment: AssignmentInfo {
            id: assignment.id.clone(),
            title: assignment.title.clone(),
            version: assignment.version.clone(),
        },
        pseudonym: submission.pseudonym.clone(),
        submission_id: submission.id.clone(),
        received_at: timestamp(submission.received_at),
        late: submission.late,
        report,
        intake: IntakeView {
            inferred: validation.inferred,
            warnings: validation.warnings,
        },
        code,
        notebooks,
        data,
        other_files,
        run,
        reproducibility,
        methodology,
        rubric: assignment.rubric.clone(),
    };
    blind::deidentify(redactor, packet)
}

fn summarize(workspace: &Workspace, run_id: &str, e: &Evaluation) -> anyhow::Result<RunSummary> {
    let record = &e.record;
    let mut outputs = Vec::new();
    for output in &e.outputs {
        let lower = output.path.to_ascii_lowercase();
        let mime = if lower.ends_with(".png") {
            Some("image/png")
        } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
            Some("image/jpeg")
        } else {
            None
        };
        let wants_bytes =
            lower.ends_with(".csv") || (mime.is_some() && output.bytes <= IMAGE_MAX_BYTES);
        let bytes = if wants_bytes {
            workspace.blobs.get(&output.sha256).ok()
        } else {
            None
        };
        let table = match (&bytes, lower.ends_with(".csv")) {
            (Some(b), true) => std::str::from_utf8(b).ok().and_then(table),
            _ => None,
        };
        let image = match (&bytes, mime) {
            (Some(b), Some(mime)) if sniff_image(b, mime) => {
                Some(format!("data:{mime};base64,{}", crate::base::base64(b)))
            }
            _ => None,
        };
        outputs.push(OutputView {
            path: output.path.clone(),
            bytes: output.bytes,
            sha256: output.sha256.clone(),
            table,
            image,
        });
    }
    Ok(RunSummary {
        run_id: run_id.to_string(),
        verdict: record.verdict,
        message: record.message.clone(),
        sandbox: sandbox_line::sandbox_line(record),
        exit_code: record.exit_code,
        trap: record.trap.clone(),
        limits: serde_json::to_value(&record.limits)?,
        fuel_used: record.fuel_used,
        wall_ms: record.wall_ms,
        peak_memory_bytes: record.peak_memory_bytes,
        stdout: record.stdout.text.clone(),
        stdout_truncated: record.stdout.truncated,
        stderr: record.stderr.text.clone(),
        stderr_truncated: record.stderr.truncated,
        diagnostics: record
            .diagnostics
            .iter()
            .map(|d| match d.count {
                1 => d.message.clone(),
                n => format!("{} ({n}×)", d.message),
            })
            .collect(),
        score_text: e.score.score().map(number),
        score_basis: e.score_basis,
        not_run_reason: e.not_run_reason.clone(),
        model: e.model.clone(),
        model_lines: e.model.as_ref().map(ModelCheck::lines).unwrap_or_default(),
        score: e.score.clone(),
        claims: e.claims.iter().map(claim_view).collect(),
        report_claims: e.report_claims.iter().map(claim_view).collect(),
        outputs,
    })
}

fn claim_view(c: &ClaimCheck) -> ClaimView {
    ClaimView {
        claimed_text: number(c.claimed),
        measured_text: c.measured.map(number),
        check: c.clone(),
    }
}

/// A score as shown: four decimals.
pub fn number(value: f64) -> String {
    format!("{value:.4}")
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
fn timestamp(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// Whether `bytes` start with the magic number of `mime`: a mislabelled file is not embedded.
fn sniff_image(bytes: &[u8], mime: &str) -> bool {
    match mime {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xff, 0xd8, 0xff]),
        _ => false,
    }
}

/// The first [`TABLE_ROWS`] rows of a CSV text, read by the scorer's CSV reader; `None` for
/// text that is not well-formed CSV (the file is then only listed).
fn table(text: &str) -> Option<Table> {
    let csv = crate::score::parse_csv(text).ok()?;
    Some(Table {
        header: csv.header.clone(),
        rows: csv
            .rows
            .iter()
            .take(TABLE_ROWS)
            .map(|row| row.fields.clone())
            .collect(),
        total_rows: csv.rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_table_quotes_and_limits() {
        let t = table("a,b\n\"x,1\",\"say \"\"hi\"\"\"\r\n2,3\n").unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.rows, [vec!["x,1", "say \"hi\""], vec!["2", "3"]]);
        assert_eq!(t.total_rows, 2);
        let big: String = std::iter::once("id\n".to_string())
            .chain((0..100).map(|i| format!("{i}\n")))
            .collect();
        let t = table(&big).unwrap();
        assert_eq!((t.rows.len(), t.total_rows), (TABLE_ROWS, 100));
    }
}
