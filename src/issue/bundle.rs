//! The candidate bundle: a zip with the brief, public data, starter files, a
//! `submission.toml` template and `SUBMITTING.md`. Never anything from `hidden/`.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::assignment::Assignment;
use crate::store::{AssignmentRow, Blobs};

/// A file kept for an assignment version.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StoredFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Whether a stored assignment file goes to candidates.
fn is_public(path: &str) -> bool {
    path == "brief.md" || path.starts_with("data/") || path.starts_with("starter/")
}

pub fn build(
    blobs: &Blobs,
    row: &AssignmentRow,
    assignment: &Assignment,
    pseudonym: &str,
    due_ms: i64,
) -> anyhow::Result<Vec<u8>> {
    let files: Vec<StoredFile> = serde_json::from_str(&row.files)?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // Fixed timestamps: the same assignment gives the same bundle bytes.
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let folder = format!("{}-{}", assignment.id, pseudonym);
    for file in files.iter().filter(|f| is_public(&f.path)) {
        zip.start_file(format!("{folder}/{}", file.path), options)?;
        zip.write_all(&blobs.get(&file.sha256)?)?;
    }
    zip.start_file(format!("{folder}/submission.toml"), options)?;
    zip.write_all(submission_template(assignment).as_bytes())?;
    zip.start_file(format!("{folder}/SUBMITTING.md"), options)?;
    zip.write_all(submitting_md(assignment, pseudonym, due_ms).as_bytes())?;
    Ok(zip.finish()?.into_inner())
}

pub fn submission_template(assignment: &Assignment) -> String {
    let d = &assignment.deliverables;
    format!(
        "# Fill in and keep this file at the top of your submission folder.\n\
         runner = \"{runner}\"\n\
         entry = \"{entry}\"\n\
         report = \"{report}\"\n\n\
         # The headline number your report states, checked against what your code produces:\n\
         [claims]\n\
         # {metric} = 0.0\n",
        runner = assignment.runner.name,
        entry = d.entry,
        report = d.report,
        metric = assignment.scoring.metric.name(),
    )
}

pub fn submitting_md(assignment: &Assignment, pseudonym: &str, due_ms: i64) -> String {
    let d = &assignment.deliverables;
    let limits = assignment
        .runner
        .limits
        .apply(&crate::runner::RunnerKind::Python.default_limits());
    let sections: String = d.sections.iter().map(|s| format!("   - {s}\n")).collect();
    let outputs = d.outputs.join(", ");
    format!(
        "# Submitting: {title}\n\n\
         Your reference: **{pseudonym}**. Due: **{due}** (UTC). Reviewers see only your reference, not your name.\n\n\
         ## What to hand in\n\n\
         One folder (or a `.zip` / `.tar.gz` of it) holding:\n\n\
         1. `{entry}`: the program, with any modules it imports beside it.\n\
         2. `{report}`: your report, in Markdown, with these sections as headings:\n{sections}\
         3. `submission.toml`: filled in from the template here; put the headline number your report\n   states under `[claims]`.\n\n\
         Do not include the data: it is mounted for you.\n\n\
         ## How it will be run\n\n\
         Your code runs with `{runner}` (CPython 3.15 with numpy, pandas, scipy, scikit-learn and matplotlib)\n\
         in a WebAssembly sandbox, as `python {entry}` from your folder:\n\n\
         - your folder is the working directory, read-only;\n\
         - `data/` holds the public data, read-only;\n\
         - `out/` is writable and must end up holding: {outputs};\n\
         - `/tmp` is writable scratch;\n\
         - there is no network, no subprocess, no threads, and no other file.\n\n\
         Limits: {wall} of wall time, {memory} of memory, {fuel} fuel (instructions), {out_bytes} and {out_files} files\n\
         in `out/` and `/tmp` together. Runs are deterministic: seed your randomness and the numbers you\n\
         report will be reproduced exactly. Held-out data you do not have is used to score `{output}`.\n\n\
         ## Check it before you hand it in\n\n\
         With takehome installed, from your folder (beside the unpacked `data/`):\n\n\
         ```sh\n\
         takehome run {entry} --mount data=data --out /tmp/check-out\n\
         ```\n\n\
         It runs your code exactly as it will be run here and prints the verdict.\n\n\
         ## Hand it in\n\n\
         Upload the `.zip` or `.tar.gz` on the page of your personal link (the one this bundle came\n\
         from). The page says at once whether the upload was accepted and, shortly after, whether your\n\
         code started in the sandbox, with its verdict and the first lines of its stderr. You may hand in\n\
         again until the deadline; the newest version is graded.\n",
        title = assignment.title,
        due = super::format_time(due_ms),
        entry = d.entry,
        report = d.report,
        runner = assignment.runner.name,
        wall = humantime::format_duration(limits.wall),
        memory = limits.memory,
        fuel = limits.fuel,
        out_bytes = limits.out_bytes,
        out_files = limits.out_files,
        output = assignment.scoring.output,
    )
}
