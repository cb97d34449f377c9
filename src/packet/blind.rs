//! De-identifying a whole packet: who the candidate is, learnt from the issue record, the
//! submission's files, its PDFs' metadata and the bylines of its reports ([`learn`]); then
//! every string of the packet redacted ([`deidentify`]). See [`super::redact`].

use super::Packet;
use super::redact::{Place, Redaction, Redactor};
use crate::base::FileRef;
use crate::report::ReportText;
use crate::store::Workspace;

/// Text files read to learn who the candidate is, by extension (and git configuration).
const LEARN_EXTENSIONS: &[&str] = &[
    "py", "md", "markdown", "txt", "ipynb", "toml", "cfg", "ini", "json", "yaml", "yml", "r", "sh",
    "tex", "rst", "csv", "sql", "js",
];
const LEARN_MAX_BYTES: u64 = 4 << 20;
/// Files whose text is prose: bylines are looked for in them (and in notebooks' markdown).
const PROSE_EXTENSIONS: &[&str] = &["md", "markdown", "txt", "rst"];

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

/// A redactor that knows who the candidate `pseudonym` is: the issue record's name and
/// email; identity in the submission's files (author lines, git configuration, notebook
/// metadata, home folders); its PDFs' metadata; the bylines of its reports, notebooks and
/// Markdown or text files, whether or not they match the issue record; and the words
/// beside a known name in that text ("Iasmina" beside "Iacob").
pub async fn learn(
    workspace: &Workspace,
    pseudonym: &str,
    files: &[FileRef],
    report: &ReportText,
) -> anyhow::Result<Redactor> {
    let candidate = workspace.store.candidate(pseudonym).await?;
    let (name, email) = candidate
        .as_ref()
        .map(|c| (c.name.as_str(), c.email.as_str()))
        .unwrap_or(("", ""));
    let mut redactor = Redactor::new(pseudonym, name, email);
    // Prose that may carry a byline, searched for names once every name is learnt.
    let mut prose: Vec<String> = Vec::new();
    for file in files {
        let lower = file.path.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
        let git = lower.contains(".git/") || lower.ends_with(".gitconfig");
        if (LEARN_EXTENSIONS.contains(&ext) || git)
            && file.bytes <= LEARN_MAX_BYTES
            && let Ok(bytes) = workspace.blobs.get(&file.sha256)
        {
            let text = String::from_utf8_lossy(&bytes);
            redactor.learn_from_file(&file.path, &text);
            if ext == "ipynb" {
                if let Ok(cells) = crate::report::notebook_cells(&bytes) {
                    let markdown: Vec<String> = cells.into_iter().map(|(_, c)| c).collect();
                    let markdown = markdown.join("\n\n");
                    redactor.learn_from_report(&markdown, true);
                    prose.push(markdown);
                }
            } else if PROSE_EXTENSIONS.contains(&ext) {
                redactor.learn_from_report(&text, true);
                prose.push(text.into_owned());
            }
        }
        // A file name can carry identity too.
        redactor.learn_from_file(&file.path, &file.path);
    }
    for f in &report.files {
        if let Some(pdf) = &f.pdf {
            redactor.learn_from_pdf(&pdf.metadata);
            for (n, page) in pdf.pages.iter().enumerate() {
                redactor.learn_from_report(&page.text, n == 0);
                prose.push(page.text.clone());
            }
        }
    }
    for text in &prose {
        redactor.learn_neighbours(text);
    }
    Ok(redactor)
}

/// Replaces everything in `packet` that identifies its candidate, as `redactor` learnt it
/// (see [`learn`]): names, emails, home-folder user names, and secrets. Returns the packet
/// and the log of what was replaced where (with the boxes over page images logged before),
/// for the hiring lead only.
pub fn deidentify(
    mut redactor: Redactor,
    packet: Packet,
) -> anyhow::Result<(Packet, Vec<Redaction>)> {
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
            ["data", i, "path"] => match index(i).and_then(|i| packet.data.get(i)) {
                Some(d) => Place::At(format!("file name {}", d.path), false),
                None => field(),
            },
            ["data", i, "whole"] => match index(i).and_then(|i| packet.data.get(i)) {
                Some(d) => Place::At(d.path.clone(), true),
                None => field(),
            },
            // The first rows repeat the whole file when it is included.
            ["data", i, ..] => match index(i).and_then(|i| packet.data.get(i)) {
                Some(d) if d.whole.is_some() => Place::Quiet,
                Some(d) => Place::At(d.path.clone(), false),
                None => field(),
            },
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
