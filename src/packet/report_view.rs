//! The report as a packet shows it: Markdown rendered, text as text, PDFs as page images
//! and extracted text, the structure check over every heading, and what could not be read.
//! Also the de-identification of a whole packet ([`deidentify`]).

use serde::{Deserialize, Serialize};

use super::redact::{Place, Redaction, Redactor};
use super::{Packet, Report, Section, markdown};
use crate::assignment::{Assignment, sections_in};
use crate::base::FileRef;
use crate::report::{Format, ReportText};
use crate::store::{Blobs, Workspace};

/// Text files read to learn who the candidate is, by extension (and git configuration).
const LEARN_EXTENSIONS: &[&str] = &[
    "py", "md", "markdown", "txt", "ipynb", "toml", "cfg", "ini", "json", "yaml", "yml", "r", "sh",
    "tex", "rst", "csv", "sql", "js",
];
const LEARN_MAX_BYTES: u64 = 4 << 20;

/// Packet fields whose values are the harness's own closed sets, numbers as text and
/// hashes: a made-up user name ("notebook" for "N. Otebook") must not rewrite them.
const STRUCTURAL: &[&str] = &[
    "format",
    "split",
    "status",
    "verdict",
    "metric",
    "sha256",
    "submission_id",
    "pseudonym",
    "run_id",
    "original_run",
    "received_at",
    "trap",
    "version",
    "claimed_text",
    "measured_text",
    "score_text",
    "score_basis",
    "model_sha256",
    "runtime",
    "id",
];

/// A PDF of the report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PdfView {
    pub path: String,
    /// "PDF could not be read: ..." when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub page_count: usize,
    pub outline: Vec<String>,
    pub pages: Vec<PageView>,
    /// Whether page images are hidden by the assignment (`pdf_page_images = false`).
    pub images_hidden: bool,
    /// Pages beyond the rendering cap, shown as text only.
    pub unrendered_pages: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageView {
    pub number: usize,
    /// Extracted text (de-identified like everything else).
    pub text: String,
    /// `data:image/png;base64,...` of the page rendered without the document's metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// Reads the report files named in `report_paths` and builds its part of the packet.
pub fn build(
    blobs: &Blobs,
    files: &[FileRef],
    report_paths: &[String],
    assignment: &Assignment,
) -> (Report, ReportText) {
    let text = crate::report::read(
        blobs,
        files,
        report_paths,
        assignment.deliverables.pdf_page_images,
    );
    let named: Vec<_> = text
        .files
        .iter()
        .filter(|f| report_paths.contains(&f.path))
        .collect();
    let source = named
        .iter()
        .filter(|f| f.format != Format::Pdf)
        .map(|f| f.source.clone())
        .collect::<Vec<_>>()
        .join("\n\n");
    let html = named
        .iter()
        .map(|f| match f.format {
            Format::Text => format!("<pre>{}</pre>", escape(&f.source)),
            Format::Markdown | Format::Notebook => markdown::render(&f.source),
            Format::Pdf => String::new(),
        })
        .collect::<String>();
    let sections = sections_in(&text.headings(), &assignment.deliverables.sections)
        .into_iter()
        .map(|(title, present)| Section { title, present })
        .collect();
    let pdfs = text
        .files
        .iter()
        .filter(|f| f.format == Format::Pdf)
        .map(|f| {
            let pdf = f.pdf.clone().unwrap_or_default();
            PdfView {
                path: f.path.clone(),
                error: f.error.clone(),
                page_count: pdf.page_count,
                outline: pdf.outline.clone(),
                pages: pdf
                    .pages
                    .iter()
                    .enumerate()
                    .map(|(i, p)| PageView {
                        number: i + 1,
                        text: p.text.clone(),
                        image: p
                            .png_base64
                            .as_ref()
                            .filter(|_| assignment.deliverables.pdf_page_images)
                            .map(|b| format!("data:image/png;base64,{b}")),
                    })
                    .collect(),
                images_hidden: !assignment.deliverables.pdf_page_images,
                unrendered_pages: pdf.unrendered_pages,
            }
        })
        .collect();
    let problems = text
        .files
        .iter()
        .filter(|f| f.format != Format::Pdf)
        .filter_map(|f| f.error.clone())
        .collect();
    let report = Report {
        path: report_paths.join(", "),
        present: !report_paths.is_empty() && report_paths.iter().all(|p| text.has(p)),
        format: named.first().map(|f| f.format),
        markdown: source,
        html,
        sections,
        pdfs,
        problems,
    };
    (report, text)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Replaces everything in `packet` that identifies its candidate (see [`super::redact`]):
/// the issue record's name and email, identity learnt from the submission's files and PDF
/// metadata, home-folder user names, and secrets. Returns the packet and the log of what
/// was replaced where, for the hiring lead only.
pub async fn deidentify(
    workspace: &Workspace,
    packet: Packet,
    files: &[FileRef],
    report: &ReportText,
) -> anyhow::Result<(Packet, Vec<Redaction>)> {
    let candidate = workspace.store.candidate(&packet.pseudonym).await?;
    let (name, email) = candidate
        .as_ref()
        .map(|c| (c.name.as_str(), c.email.as_str()))
        .unwrap_or(("", ""));
    let mut redactor = Redactor::new(&packet.pseudonym, name, email);
    for file in files {
        let lower = file.path.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
        let git = lower.contains(".git/") || lower.ends_with(".gitconfig");
        if (LEARN_EXTENSIONS.contains(&ext) || git)
            && file.bytes <= LEARN_MAX_BYTES
            && let Ok(bytes) = workspace.blobs.get(&file.sha256)
        {
            redactor.learn_from_file(&file.path, &String::from_utf8_lossy(&bytes));
        }
        // A file name can carry identity too.
        redactor.learn_from_file(&file.path, &file.path);
    }
    for f in &report.files {
        if let Some(pdf) = &f.pdf {
            redactor.learn_from_pdf(&pdf.metadata);
        }
    }
    let mut value = serde_json::to_value(&packet)?;
    let place = |path: &[String]| -> Place {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let field = || Place::At(format!("packet field {}", p.join(".")), false);
        let index = |i: &str| i.parse::<usize>().ok();
        match p.as_slice() {
            // Rendered HTML repeats its logged source.
            [.., last] if last.ends_with("html") => Place::Quiet,
            // Closed sets and hashes the harness writes itself: never candidate text.
            [.., last] if STRUCTURAL.contains(last) => Place::Skip,
            ["code", i, "lines", line] => {
                match (index(i).and_then(|i| packet.code.get(i)), index(line)) {
                    (Some(file), Some(line)) => {
                        Place::At(format!("{}:{}", file.path, line + 1), false)
                    }
                    _ => field(),
                }
            }
            ["code", i, "path"] | ["other_files", i, "path"] => match path_of(&packet, p[0], i) {
                Some(path) => Place::At(format!("file name {path}"), false),
                None => field(),
            },
            ["report", "markdown"] => Place::At(packet.report.path.clone(), true),
            ["report", "pdfs", i, "pages", n, "text"] => {
                match (index(i).and_then(|i| packet.report.pdfs.get(i)), index(n)) {
                    (Some(pdf), Some(n)) => {
                        Place::At(format!("{} page {}", pdf.path, n + 1), false)
                    }
                    _ => field(),
                }
            }
            _ => field(),
        }
    };
    redactor.value(&mut value, &mut Vec::new(), &place);
    let packet: Packet = serde_json::from_value(value)?;
    Ok((packet, redactor.log()))
}

fn path_of(packet: &Packet, list: &str, i: &str) -> Option<String> {
    let i: usize = i.parse().ok()?;
    match list {
        "code" => packet.code.get(i).map(|f| f.path.clone()),
        _ => packet.other_files.get(i).map(|f| f.path.clone()),
    }
}
