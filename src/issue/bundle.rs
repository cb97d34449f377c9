//! The candidate bundle: a zip with the brief, public data, starter files, a
//! `submission.toml` template and `SUBMITTING.md`. Never anything from `hidden/`.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::assignment::{Assignment, PackageTarget, Pin};
use crate::base::FileRef;
use crate::runner::RunnerKind;
use crate::store::{AssignmentRow, Blobs};

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
    let files: Vec<FileRef> = row.decode_files()?;
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
        "# Optional. Without this file takehome infers the entry point and the report from your\n\
         # files (see SUBMITTING.md); with it, you say exactly. Keep it at the top of your folder.\n\
         runner = \"{runner}\"\n\
         entry = {entry}\n\
         report = \"{report}\"\n\n\
         # The headline number your report states, checked against what your code produces:\n\
         [claims]\n\
         # {metric} = 0.0\n",
        runner = assignment.runner.name,
        entry = toml_paths(&d.entry),
        report = d.report,
        metric = assignment.scoring.metric.name(),
    )
}

/// One path as a TOML string, several as a TOML array.
fn toml_paths(paths: &[String]) -> String {
    match paths {
        [one] => toml::Value::String(one.clone()).to_string(),
        many => {
            toml::Value::Array(many.iter().cloned().map(toml::Value::String).collect()).to_string()
        }
    }
}

/// The command that runs every entry point in order, as the harness does.
fn run_entries(d: &crate::assignment::Deliverables) -> String {
    let mut command = d.first_entry().to_string();
    for next in d.entry.iter().skip(1) {
        command.push_str(&format!(" --then {next}"));
    }
    command
}

/// The packages a run of `assignment` can import, as `name version` lines, in name order:
/// the runner's own (its MANIFEST, and the pure-Python wheels it provisions for notebooks)
/// and the assignment's extras (`[runner] packages`).
/// Empty for the wasi runner, which imports nothing.
pub fn importable(assignment: &Assignment) -> Vec<String> {
    let kind = assignment.runner.name;
    if kind == RunnerKind::Wasi {
        return Vec::new();
    }
    let (packages, wheels) = if kind == RunnerKind::PythonNative {
        (Vec::new(), crate::runner::native::base_wheels())
    } else {
        (
            crate::runner::def::python_packages(),
            crate::runner::def::python().wheels,
        )
    };
    let mut lines: Vec<(String, String)> = packages
        .into_iter()
        .filter(|(name, _)| name != "python")
        .map(|(name, version)| (name.to_ascii_lowercase(), format!("{name} {version}")))
        .collect();
    for wheel in wheels {
        lines.push((
            wheel.name.to_ascii_lowercase(),
            format!("{} {}", wheel.name, wheel.version),
        ));
    }
    // On python-native a package comes with its dependencies (resolved when the
    // assignment was added); in the WebAssembly sandbox each pin is one wheel.
    let allowed = match (kind, assignment.runner.package_target()) {
        (RunnerKind::PythonNative, _) => "allowed by this assignment, with its dependencies",
        (_, PackageTarget::Native) => {
            "allowed by this assignment, with its dependencies, on python-native"
        }
        _ => "allowed by this assignment",
    };
    for pin in assignment
        .runner
        .packages
        .iter()
        .filter_map(|p| p.parse::<Pin>().ok())
    {
        lines.push((
            pin.name.to_ascii_lowercase(),
            format!("{} {} ({allowed})", pin.name, pin.version),
        ));
    }
    lines.sort();
    lines.into_iter().map(|(_, line)| line).collect()
}

pub fn submitting_md(assignment: &Assignment, pseudonym: &str, due_ms: i64) -> String {
    let d = &assignment.deliverables;
    let kind = assignment.runner.name;
    let limits = assignment.runner.limits.apply(&kind.default_limits());
    let sections: String = d.sections.iter().map(|s| format!("   - {s}\n")).collect();
    let outputs = d.outputs.join(", ");
    let runner = &assignment.runner.name;
    let (program, how, layout, check) = match kind {
        RunnerKind::Wasi => (
            "the WebAssembly module (a wasm32-wasip1 command, or `.wat` text)".to_string(),
            format!(
                "Your module runs on the `{runner}` runner: a WebAssembly module (wasm32-wasip1) run as it\n\
                 is, in a sandbox, started at its `_start` export. It imports nothing but WASI."
            ),
            "- `/data` holds the public data, read-only;\n\
             - `/out` is writable and must end up holding what the assignment asks for;\n\
             - there is no network, no subprocess, no threads, and no other file.\n"
                .to_string(),
            format!(
                "takehome run {} --mount /data=data --out /tmp/check-out",
                d.first_entry()
            ),
        ),
        RunnerKind::PythonNative => (
            "the program, with any modules it imports beside it (a script, or a notebook)"
                .to_string(),
            format!(
                "Your code runs on the `{runner}` runner: CPython 3.11 with binary wheels, inside the\n\
                 gVisor sandbox, as `python {}` from a fresh copy of your folder. It can import the\n\
                 standard library and exactly the packages listed under \"What your code can import\".",
                d.entry_text()
            ),
            format!(
                "- a fresh, writable copy of your folder is the working directory; files your code\n  \
                 writes there are kept as its outputs, and it must leave: {outputs};\n\
                 - `data/` holds the public data, read-only;\n\
                 - `/tmp` is writable scratch;\n\
                 - there is no network; at most 64 processes and threads; one thread by default.\n"
            ),
            format!(
                "takehome run {} --runner python-native --mount data=data --out /tmp/check-out",
                run_entries(d)
            ),
        ),
        RunnerKind::Python | RunnerKind::PythonPlain => (
            "the program, with any modules it imports beside it (a script, or notebooks)"
                .to_string(),
            format!(
                "Your code runs on the `{runner}` runner: CPython 3.15 compiled to WebAssembly, in a\n\
                 sandbox, as `python {}` from a fresh copy of your folder. It can import the standard\n\
                 library and exactly the packages listed under \"What your code can import\".",
                d.entry_text()
            ),
            format!(
                "- a fresh, writable copy of your folder is the working directory; files your code\n  \
                 writes there are kept as its outputs, and it must leave: {outputs};\n\
                 - `data/` holds the public data, read-only;\n\
                 - `/tmp` is writable scratch;\n\
                 - there is no network, no subprocess, no threads, and no other file.\n"
            ),
            format!(
                "takehome run {} --mount data=data --out /tmp/check-out",
                run_entries(d)
            ),
        ),
    };
    let packages = importable(assignment);
    let imports = if kind == RunnerKind::Wasi {
        String::new()
    } else {
        let list: String = packages.iter().map(|p| format!("- {p}\n")).collect();
        format!(
            "## What your code can import\n\n\
             The Python standard library and these packages, nothing else (no `pip install`):\n\n{list}\n\
             Packages that need compiled code of their own (xgboost, lightgbm, torch, ...) cannot\n\
             be provided.\n\n"
        )
    };
    format!(
        "# Submitting: {title}\n\n\
         Your reference: **{pseudonym}**. Due: **{due}** (UTC). Reviewers see only your reference, not your name.\n\n\
         ## What to hand in\n\n\
         One folder (or a `.zip` / `.tar.gz` of it) holding:\n\n\
         1. `{entry}`: {program}.\n\
         2. `{report}`: your report, with these sections as headings:\n{sections}\
         3. Optionally `submission.toml`, filled in from the template here: it names your entry point\n   \
         and report if they are not the ones above, and states under `[claims]` the headline number\n   \
         your report states, which is then checked against what your code produces.\n\n\
         Without `submission.toml`, takehome looks for `{entry}` and `{report}` first, then for another\n\
         entry point (`main.py`, `run.py`, `train.py`, `src/main.py`, or your notebooks in name order)\n\
         and another report (`REPORT.md`, `report.md`, `README.md`, a PDF, a `.txt`, or your notebooks'\n\
         Markdown), and tells you what it chose when you hand in. Something other than what is asked\n\
         for is taken in with a warning that reviewers see.\n\n\
         Do not include the data: it is mounted for you.\n\n\
         ## How it will be run\n\n\
         {how}\n\n\
         {layout}\n\
         Limits: {wall} of wall time, {memory} of memory, {fuel} fuel (instructions), {out_bytes} and {out_files} files\n\
         written in total. Runs are deterministic: seed your randomness and the numbers you\n\
         report will be reproduced exactly. Held-out data you do not have is used to score `{output}`.\n\n\
         {imports}\
         ## Check it before you hand it in\n\n\
         With takehome installed, from your folder (beside the unpacked `data/`):\n\n\
         ```sh\n\
         {check}\n\
         ```\n\n\
         It runs your code exactly as it will be run here and prints the verdict.\n\n\
         ## Hand it in\n\n\
         Upload the `.zip` or `.tar.gz` on the page of your personal link (the one this bundle came\n\
         from). The page says at once whether the upload was accepted and, shortly after, whether your\n\
         code started in the sandbox, with its verdict and the first lines of its stderr. You may hand in\n\
         again until the deadline; the newest version is graded.\n",
        title = assignment.title,
        due = crate::base::format_time(due_ms),
        entry = d.entry_text(),
        report = d.report,
        wall = humantime::format_duration(limits.wall),
        memory = limits.memory,
        fuel = limits.fuel,
        out_bytes = limits.out_bytes,
        out_files = limits.out_files,
        output = assignment.scoring.output,
    )
}
