//! The report as a packet shows it: Markdown rendered, text as text, PDFs as page images
//! (identity boxed over, [`render_pages`]) and extracted text, the structure check over
//! every heading, and what could not be read.

use serde::{Deserialize, Serialize};

use super::redact::Redactor;
use super::{Report, Section, markdown};
use crate::assignment::{Assignment, sections_in};
use crate::base::FileRef;
use crate::report::cover::{Cover, CoverText};
use crate::report::{Format, ReportText};
use crate::store::Blobs;

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
    /// Why no page image could be made, when none could.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images_error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageView {
    pub number: usize,
    /// Extracted text (de-identified like everything else).
    pub text: String,
    /// `data:image/png;base64,...` of the page rendered without the document's metadata,
    /// with what the de-identification removes from its text boxed over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Boxes painted over the image.
    #[serde(default)]
    pub boxes: usize,
    /// Why the page is shown as text only though images are shown (no text layer; identity
    /// that could not be located on the image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Reads the report files named in `report_paths` and builds its part of the packet, PDF
/// pages without images (see [`render_pages`]).
pub fn build(
    blobs: &Blobs,
    files: &[FileRef],
    report_paths: &[String],
    assignment: &Assignment,
) -> (Report, ReportText) {
    let text = crate::report::read(blobs, files, report_paths);
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
                        image: None,
                        boxes: 0,
                        note: None,
                    })
                    .collect(),
                images_hidden: !assignment.deliverables.pdf_page_images,
                unrendered_pages: pdf.unrendered_pages,
                images_error: None,
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

/// Renders the page images of the report's PDFs (unless the assignment hides them), with
/// every span `redactor` would remove from a page's text boxed over on that page's image,
/// inside the PDF child. A page whose identity cannot be located, or that has no text
/// layer, keeps its text only, with a note saying why. Each box is logged for the lead
/// (`report.pdf page 1: box over name`).
pub fn render_pages(
    blobs: &Blobs,
    files: &[FileRef],
    report: &mut Report,
    redactor: &mut Redactor,
    assignment: &Assignment,
) {
    if !assignment.deliverables.pdf_page_images {
        return;
    }
    for pdf in report.pdfs.iter_mut().filter(|p| p.error.is_none()) {
        let Some(file) = files.iter().find(|f| f.path == pdf.path) else {
            continue;
        };
        let cover = Cover {
            pages: pdf
                .pages
                .iter()
                .take(crate::report::pdf::MAX_RENDERED_PAGES)
                .map(|page| {
                    let mut texts: Vec<CoverText> = redactor
                        .spans(&page.text)
                        .into_iter()
                        .map(|(text, reason)| CoverText { text, reason })
                        .collect();
                    texts.sort_by(|a, b| a.text.cmp(&b.text));
                    texts.dedup();
                    texts
                })
                .collect(),
        };
        let read = blobs
            .get(&file.sha256)
            .map_err(|e| format!("{} cannot be read: {e:#}", file.path))
            .and_then(|bytes| crate::report::pdf::read(&bytes, &file.sha256, Some(&cover)));
        let rendered = match read {
            Ok(rendered) => rendered,
            Err(e) => {
                pdf.images_error = Some(format!("page images could not be made: {e}"));
                continue;
            }
        };
        pdf.unrendered_pages = rendered.unrendered_pages;
        for (view, page) in pdf.pages.iter_mut().zip(&rendered.pages) {
            view.image = page
                .png_base64
                .as_ref()
                .map(|b| format!("data:image/png;base64,{b}"));
            view.boxes = page.boxes.len();
            view.note = page.withheld.clone();
            let location = format!("{} page {}", pdf.path, view.number);
            for b in &page.boxes {
                redactor.note(&location, &format!("box over {} on the image", b.reason), 1);
            }
            if page.withheld.is_some() {
                redactor.note(&location, "image withheld, shown as text", 1);
            }
        }
    }
}
