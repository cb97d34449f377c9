//! PDF reports, read in a child process under limits so that a hostile PDF (truncated, a
//! compression bomb, deep nesting, a huge page count) can neither crash, hang nor exhaust
//! the harness.
//!
//! [`read`] runs `takehome pdf-worker` (a hidden subcommand of this same executable) with
//! the PDF on stdin. Before it starts, the child gets hard limits through `setrlimit`:
//! [`CPU_SECONDS`] of CPU, [`ADDRESS_SPACE`] of memory, no files written, no core dump; the
//! parent kills it after [`WALL`] and reads at most [`MAX_OUTPUT`] of its answer. The child
//! reads text, outline and metadata with lopdf and pdf-extract; for page images it strips
//! the document's metadata (the Info dictionary and the XMP stream), saves that copy,
//! renders its pages with hayro and paints boxes over the texts the caller asked to cover
//! ([`super::cover`]) before a page is encoded: an image leaves the child covered or not at
//! all. Whatever goes wrong becomes an error string, which callers show as "PDF could not
//! be read: ...".

use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cover::{self, Cover, CoverBox};

/// PDFs larger than this are not read.
pub const MAX_BYTES: u64 = 32 << 20;
/// PDFs with more pages are refused whole.
pub const MAX_PAGES: usize = 500;
/// Pages rendered as images, at most (text is read from every page).
pub const MAX_RENDERED_PAGES: usize = 40;
/// Pixels of one rendered page, at most (the scale shrinks to fit).
pub const MAX_PIXELS: f32 = 2_000_000.0;
/// CPU time of the child.
pub const CPU_SECONDS: u64 = 60;
/// Address space of the child.
pub const ADDRESS_SPACE: u64 = 2 << 30;
/// Wall-clock time after which the child is killed.
pub const WALL: Duration = Duration::from_secs(90);
/// The child's answer (JSON, page images in base64), at most.
pub const MAX_OUTPUT: u64 = 256 << 20;

/// What the child read from a PDF.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PdfReport {
    pub page_count: usize,
    pub pages: Vec<PdfPage>,
    /// Outline (bookmark) titles, in order.
    pub outline: Vec<String>,
    /// The document's metadata, for de-identification only: never shown.
    pub metadata: PdfMetadata,
    /// Pages not rendered because of [`MAX_RENDERED_PAGES`] or because rendering was not asked.
    pub unrendered_pages: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PdfPage {
    pub text: String,
    /// The page as PNG, base64, with the asked-for texts covered; `None` when not rendered
    /// or withheld.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub png_base64: Option<String>,
    /// The boxes painted over the image, and what each covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boxes: Vec<CoverBox>,
    /// Why the page was rendered but its image is withheld (no text layer; identity that
    /// could not be located on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
}

/// The Info dictionary's text fields that can name a person.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PdfMetadata {
    pub author: Option<String>,
    pub creator: Option<String>,
    pub producer: Option<String>,
    pub title: Option<String>,
    pub subject: Option<String>,
    pub keywords: Option<String>,
}

/// (content hash, hash of the [`Cover`] when rendered, result).
type Cached = (String, Option<String>, Arc<Result<PdfReport, String>>);

/// Recent results by content hash: a reviewer's page asks for the same PDF again and again.
static CACHE: Mutex<Vec<Cached>> = Mutex::new(Vec::new());
const CACHE_ENTRIES: usize = 8;

/// Reads `bytes` (whose SHA-256 is `sha256`) in a limited child process; with a `cover`,
/// its pages are rendered too, with the cover's texts boxed over. Results are kept by
/// content and cover: the same PDF with other texts to cover is rendered again.
pub fn read(bytes: &[u8], sha256: &str, cover: Option<&Cover>) -> Result<PdfReport, String> {
    let key = cover.map(|c| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            serde_json::to_vec(c).unwrap_or_default(),
        ))
    });
    if let Ok(cache) = CACHE.lock()
        && let Some((_, _, hit)) = cache
            .iter()
            .find(|(sha, rendered, _)| sha == sha256 && (key.is_none() || *rendered == key))
    {
        return (**hit).clone();
    }
    let result = run_worker(bytes, cover);
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHE_ENTRIES {
            cache.remove(0);
        }
        cache.push((sha256.to_string(), key, Arc::new(result.clone())));
    }
    result
}

fn run_worker(bytes: &[u8], cover: Option<&Cover>) -> Result<PdfReport, String> {
    use crate::base::child::{self, Input, NoAnswer};
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("{} bytes, more than {MAX_BYTES}", bytes.len()));
    }
    let exe = child::takehome_exe()?;
    let mut command = Command::new(exe);
    command.arg("pdf-worker");
    // With --images, stdin is the cover's length (8 bytes, little-endian), the cover as
    // JSON, then the PDF.
    let mut input = Vec::new();
    if let Some(cover) = cover {
        command.arg("--images");
        let json = serde_json::to_vec(cover).map_err(|e| format!("cannot pass the cover: {e}"))?;
        if json.len() as u64 > cover::MAX_COVER_BYTES {
            return Err(format!(
                "more than {} bytes of identity to cover on its pages",
                cover::MAX_COVER_BYTES
            ));
        }
        input.extend_from_slice(&(json.len() as u64).to_le_bytes());
        input.extend_from_slice(&json);
    }
    input.extend_from_slice(bytes);
    command.env_clear();
    let limits = child::ChildLimits {
        cpu_seconds: CPU_SECONDS,
        address_space: ADDRESS_SPACE,
        file_size: 0,
        die_with_parent: false,
    };
    child::limit(&mut command, limits);
    let input =
        child::input_file(&input).map_err(|e| format!("cannot hand the PDF to its reader: {e}"))?;
    let ended = child::run(command, Input::File(input), MAX_OUTPUT, WALL).map_err(|e| match e {
        NoAnswer::Start(e) => format!("cannot start the PDF reader: {e}"),
        NoAnswer::Wall => format!(
            "reading took longer than {}s and was stopped",
            WALL.as_secs()
        ),
        NoAnswer::Wait(e) => format!("cannot wait for the PDF reader: {e}"),
    })?;
    if ended.stdout_overflowed {
        return Err(format!("the reader's answer exceeded {MAX_OUTPUT} bytes"));
    }
    if !ended.status.success() {
        let last = ended.last_words(300);
        return Err(match ended.signal() {
            Some(libc::SIGXCPU) | Some(libc::SIGKILL) => {
                format!("reading used more than {CPU_SECONDS}s of CPU and was stopped")
            }
            Some(signal) => format!(
                "the reader stopped with signal {signal} (memory limit {} MiB){}",
                ADDRESS_SPACE >> 20,
                if last.is_empty() {
                    String::new()
                } else {
                    format!(": {last}")
                }
            ),
            None if last.is_empty() => format!("the reader failed ({})", ended.status),
            None => last,
        });
    }
    serde_json::from_slice(&ended.stdout)
        .map_err(|e| format!("the reader's answer is not readable: {e}"))
}

/// The child's side: reads a PDF on stdin, answers one JSON [`PdfReport`] on stdout, or an
/// error on stderr with exit status 1.
pub fn worker_main(images: bool) -> ExitCode {
    let limit = MAX_BYTES
        + 1
        + if images {
            8 + cover::MAX_COVER_BYTES
        } else {
            0
        };
    let (mut answer, input) = match crate::base::child::worker_streams(limit) {
        Ok(streams) => streams,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let (cover, bytes) = if images {
        match split_cover(&input) {
            Ok((cover, bytes)) => (Some(cover), bytes),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        (None, &input[..])
    };
    match extract(bytes, cover.as_ref()) {
        Ok(report) => match serde_json::to_writer(&mut answer, &report) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cannot answer: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The cover and the PDF of a `--images` child's input.
fn split_cover(input: &[u8]) -> Result<(Cover, &[u8]), String> {
    let (length, rest) = input
        .split_first_chunk::<8>()
        .ok_or("the input holds no cover")?;
    let length = u64::from_le_bytes(*length);
    if length > cover::MAX_COVER_BYTES || length as usize > rest.len() {
        return Err(format!("the cover's length {length} is out of bounds"));
    }
    let (json, pdf) = rest.split_at(length as usize);
    let cover = serde_json::from_slice(json).map_err(|e| format!("unreadable cover: {e}"))?;
    Ok((cover, pdf))
}

/// Reads a PDF in this process. Only the limited child (`worker_main`) and the fuzz target
/// call it: everywhere else PDFs go through [`read`]. With a `cover`, pages are rendered
/// with its texts boxed over (or withheld, see [`super::cover`]).
pub fn extract(bytes: &[u8], cover: Option<&Cover>) -> Result<PdfReport, String> {
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("more than {MAX_BYTES} bytes"));
    }
    let mut doc =
        pdf_extract::Document::load_mem(bytes).map_err(|e| format!("not a readable PDF: {e}"))?;
    let page_count = doc.get_pages().len();
    if page_count == 0 {
        return Err("the PDF has no pages".into());
    }
    if page_count > MAX_PAGES {
        return Err(format!(
            "the PDF has {page_count} pages, more than the {MAX_PAGES} read"
        ));
    }
    let metadata = info(&doc);
    let outline = doc
        .get_toc()
        .map(|toc| toc.toc.into_iter().map(|t| t.title).collect())
        .unwrap_or_default();
    let texts = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .map_err(|_| "the text of the PDF could not be extracted".to_string())?
        .map_err(|e| format!("the text of the PDF could not be extracted: {e}"))?;
    let mut pages: Vec<PdfPage> = texts
        .into_iter()
        .map(|text| PdfPage {
            text,
            ..PdfPage::default()
        })
        .collect();
    pages.resize(page_count.max(pages.len()), PdfPage::default());
    let mut unrendered = pages.len();
    if let Some(cover) = cover {
        // Render from a copy without the document's metadata.
        doc.trailer.remove(b"Info");
        if let Ok(catalog) = doc.catalog_mut() {
            catalog.remove(b"Metadata");
        }
        let mut stripped = Vec::new();
        doc.save_to(&mut stripped)
            .map_err(|e| format!("cannot copy the PDF for rendering: {e}"))?;
        let pdf = hayro::hayro_syntax::Pdf::new(Arc::new(stripped))
            .map_err(|e| format!("cannot render the PDF: {e:?}"))?;
        let cache = hayro::RenderCache::new();
        let settings = hayro::hayro_interpret::InterpreterSettings::default();
        let everywhere: Vec<_> = cover.pages.iter().flatten().cloned().collect();
        for (index, (page, slot)) in pdf
            .pages()
            .iter()
            .zip(pages.iter_mut())
            .enumerate()
            .take(MAX_RENDERED_PAGES)
        {
            let (w, h) = page.render_dimensions();
            let scale = (1.5f32)
                .min((MAX_PIXELS / (w * h).max(1.0)).sqrt())
                .max(0.01);
            unrendered -= 1;
            let size = ((w * scale) as u16, (h * scale) as u16);
            let transform = hayro::kurbo::Affine::scale(f64::from(scale))
                * hayro::hayro_interpret::util::TransformExt::to_kurbo(
                    &page.initial_transform(true),
                );
            let wanted = cover.pages.get(index).map_or(&[][..], Vec::as_slice);
            let boxes = match cover::locate(page, transform, size, wanted, &everywhere) {
                Ok(boxes) => boxes,
                Err(why) => {
                    slot.withheld = Some(why.to_string());
                    continue;
                }
            };
            let mut pixmap = hayro::render(
                page,
                &cache,
                &settings,
                &hayro::RenderSettings::default(),
                &hayro::PixmapSettings {
                    x_scale: scale,
                    y_scale: scale,
                    bg_color: hayro::vello_cpu::color::palette::css::WHITE,
                },
            );
            let (pw, ph) = (pixmap.width(), pixmap.height());
            slot.boxes = cover::paint(pixmap.data_as_u8_slice_mut(), pw, ph, &boxes);
            let png = pixmap
                .into_png()
                .map_err(|e| format!("cannot encode a page image: {e}"))?;
            slot.png_base64 = Some(crate::base::base64(&png));
        }
    }
    Ok(PdfReport {
        page_count,
        pages,
        outline,
        metadata,
        unrendered_pages: unrendered,
    })
}

/// The Info dictionary's person-naming fields.
fn info(doc: &pdf_extract::Document) -> PdfMetadata {
    let dict = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|o| match o {
            pdf_extract::Object::Reference(id) => doc.get_object(*id).ok(),
            other => Some(other),
        })
        .and_then(|o| o.as_dict().ok());
    let field = |key: &[u8]| -> Option<String> {
        let value = dict?.get(key).ok()?;
        let bytes = value.as_str().ok()?;
        let text = decode_text(bytes);
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_string())
    };
    PdfMetadata {
        author: field(b"Author"),
        creator: field(b"Creator"),
        producer: field(b"Producer"),
        title: field(b"Title"),
        subject: field(b"Subject"),
        keywords: field(b"Keywords"),
    }
}

/// A PDF text string: UTF-16BE with its byte-order mark, else (nearly) Latin-1.
fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        bytes.iter().map(|&b| b as char).collect()
    }
}
