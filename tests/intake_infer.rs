//! Submissions handed in without `submission.toml`, through the CLI on a real workspace:
//! intake infers the runner, the entry point and the report, prints what it chose, keeps it
//! in the stored manifest, warns when something other than the deliverable is handed in,
//! and rejects what it cannot decide with the lines that settle it.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::{cli, cli_ok, copy_tree, repo, write_files};

/// A workspace with the churn assignment (entry `main.py`, report `REPORT.md`) issued once.
struct Scene {
    root: tempfile::TempDir,
    pseudonym: String,
}

impl Scene {
    fn new() -> Scene {
        let root = tempfile::tempdir().unwrap();
        cli_ok(root.path(), &["init", "."]);
        let copy = root.path().join("assignment/churn");
        copy_tree(&repo("assignments/churn"), &copy);
        std::fs::remove_dir_all(copy.join("examples")).unwrap();
        cli_ok(root.path(), &["assignment", "add", copy.to_str().unwrap()]);
        let out = cli_ok(
            root.path(),
            &[
                "issue",
                "churn",
                "--candidate",
                "Ada Lovelace <ada@example.org>",
            ],
        );
        let pseudonym = support::issued_pseudonym(&out);
        Scene { root, pseudonym }
    }

    /// Submits a folder holding `files` (path, content).
    fn submit(&self, files: &[(&str, &str)]) -> Output {
        let folder = tempfile::tempdir().unwrap();
        write_files(folder.path(), files);
        self.submit_path(folder.path())
    }

    fn submit_path(&self, path: &Path) -> Output {
        cli(
            self.root.path(),
            &["submit", &self.pseudonym, path.to_str().unwrap()],
        )
    }

    /// Submits `files`, asserting it is accepted; returns stdout.
    fn accept(&self, files: &[(&str, &str)]) -> String {
        let out = self.submit(files);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "rejected: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("no submission.toml: intake inferred"),
            "{stdout}"
        );
        stdout
    }

    /// The newest packet's JSON twin (`takehome packet` needs no run).
    fn packet(&self) -> Value {
        let out = self.root.path().join("packets");
        cli_ok(
            self.root.path(),
            &["packet", &self.pseudonym, "--out", out.to_str().unwrap()],
        );
        let newest = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .max()
            .unwrap();
        serde_json::from_str(&std::fs::read_to_string(newest).unwrap()).unwrap()
    }

    /// The stored manifest of the newest version, as JSON.
    fn stored_manifest(&self) -> Value {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let workspace = takehome::store::Workspace::open(self.root.path(), None)
                .await
                .unwrap();
            let rows = workspace
                .store
                .submissions(Some(&self.pseudonym))
                .await
                .unwrap();
            workspace.store.close().await;
            serde_json::from_str(&rows.last().unwrap().manifest).unwrap()
        })
    }
}

const SCRIPT: &str = "import pandas as pd\nprint(pd.__version__)\n";
const REPORT: &str = "# Churn\n\n## Problem statement\n\n## Method\n";

/// A notebook whose Markdown cells are `markdown` and which has one code cell.
fn notebook(markdown: &str) -> String {
    serde_json::json!({
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": [markdown]},
            {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [],
             "source": ["import pandas as pd\n", "df = pd.read_csv('../data/train.csv')"]}
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5
    })
    .to_string()
}

#[test]
fn main_py_and_report_md_are_taken_as_the_deliverables_without_warnings() {
    let scene = Scene::new();
    let out = scene.accept(&[("main.py", SCRIPT), ("REPORT.md", REPORT), ("utils.py", "")]);
    assert!(
        out.contains("runner = \"python\"  # the assignment's runner"),
        "{out}"
    );
    assert!(
        out.contains("entry = \"main.py\"  # the entry point the assignment asks for"),
        "{out}"
    );
    assert!(out.contains("report = \"REPORT.md\""), "{out}");
    assert!(!out.contains("instead"), "{out}");
    assert!(
        out.contains("[x] Problem statement") && out.contains("[ ] Limitations"),
        "{out}"
    );
    let manifest = scene.stored_manifest();
    assert_eq!(manifest["entry"], "main.py");
    assert_eq!(manifest["report"], "REPORT.md");
    assert_eq!(manifest["runner"], "python");
}

#[test]
fn a_single_notebook_is_the_entry_and_its_markdown_the_report() {
    let scene = Scene::new();
    let out = scene.accept(&[
        (
            "analysis.ipynb",
            &notebook("# Churn\n## Method\nA model.\n## Limitations\n"),
        ),
        ("requirements.txt", "pandas\n"),
    ]);
    assert!(
        out.contains("entry = \"analysis.ipynb\"  # the only notebook"),
        "{out}"
    );
    assert!(
        out.contains("report = \"analysis.ipynb\"  # the notebook's Markdown cells"),
        "{out}"
    );
    assert!(
        out.contains("[x] Method") && out.contains("[x] Limitations"),
        "{out}"
    );
    assert!(
        out.contains("warning: the assignment asks for the entry point main.py; this submission hands in analysis.ipynb (a notebook) instead"),
        "{out}"
    );
    assert_eq!(scene.stored_manifest()["entry"], "analysis.ipynb");
}

#[test]
fn src_main_py_is_the_entry_when_there_is_no_main_py_at_the_top() {
    let scene = Scene::new();
    let out = scene.accept(&[
        ("src/main.py", SCRIPT),
        ("src/features.py", ""),
        ("README.md", REPORT),
    ]);
    assert!(
        out.contains("entry = \"src/main.py\"  # the script src/main.py"),
        "{out}"
    );
    assert!(
        out.contains("report = \"README.md\"  # the Markdown file README.md"),
        "{out}"
    );
    assert!(
        out.contains("hands in src/main.py (a Python script) instead"),
        "{out}"
    );
    assert_eq!(scene.stored_manifest()["entry"], "src/main.py");
}

#[test]
fn several_notebooks_are_the_entry_in_name_order() {
    let scene = Scene::new();
    let out = scene.accept(&[
        ("notebooks/02_model.ipynb", &notebook("## Method\n")),
        (
            "notebooks/01_eda.ipynb",
            &notebook("# EDA\n## Problem statement\n"),
        ),
        (
            "notebooks/.ipynb_checkpoints/01_eda-checkpoint.ipynb",
            &notebook(""),
        ),
    ]);
    let listed = "[\"notebooks/01_eda.ipynb\", \"notebooks/02_model.ipynb\"]";
    assert!(
        out.contains(&format!(
            "entry = {listed}  # the 2 notebooks, run in name order"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("report = {listed}")), "{out}");
    assert!(
        out.contains("[x] Problem statement") && out.contains("[x] Method"),
        "{out}"
    );
    let manifest = scene.stored_manifest();
    assert_eq!(
        manifest["entry"],
        serde_json::json!(["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"])
    );
}

#[test]
fn a_pdf_report_is_taken_in_with_a_warning_reviewers_see() {
    let scene = Scene::new();
    let out = scene.accept(&[("main.py", SCRIPT), ("slides.pdf", "%PDF-1.4 not really\n")]);
    assert!(
        out.contains("report = \"slides.pdf\"  # the only PDF"),
        "{out}"
    );
    let difference = "the assignment asks for the report REPORT.md; this submission hands in slides.pdf (a PDF) instead";
    assert!(out.contains(&format!("warning: {difference}")), "{out}");
    assert!(
        out.contains(
            "the report slides.pdf is a PDF: its sections are checked in the review packet"
        ),
        "{out}"
    );

    // The packet shows reviewers what was inferred and the difference.
    let packet = scene.packet();
    let warnings = packet["intake"]["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w == difference), "{warnings:?}");
    let inferred = packet["intake"]["inferred"].as_array().unwrap();
    assert!(
        inferred
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("report = \"slides.pdf\""))
    );
    assert_eq!(packet["report"]["path"], "slides.pdf");
    assert_eq!(packet["report"]["present"], true);
}

#[test]
fn readme_md_is_the_report_when_there_is_no_report_md() {
    let scene = Scene::new();
    let out = scene.accept(&[
        ("train.py", SCRIPT),
        ("README.md", REPORT),
        ("notes.txt", "x"),
    ]);
    assert!(
        out.contains("entry = \"train.py\"  # the script train.py"),
        "{out}"
    );
    assert!(
        out.contains("report = \"README.md\"  # the Markdown file README.md"),
        "{out}"
    );
    let packet = scene.packet();
    assert_eq!(packet["report"]["path"], "README.md");
    assert!(
        packet["report"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Method"),
        "{packet:#}"
    );
}

#[test]
fn an_ambiguous_submission_is_rejected_naming_the_candidates_and_the_lines_that_settle_it() {
    let scene = Scene::new();
    let files = [
        ("churn_model.py", SCRIPT),
        ("features.py", ""),
        ("a.pdf", "%PDF"),
        ("b.pdf", "%PDF"),
    ];
    let out = scene.submit(&files);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rejected: nothing was stored"), "{stderr}");
    assert!(
        stderr.contains("2 Python scripts at the top: churn_model.py, features.py"),
        "{stderr}"
    );
    assert!(stderr.contains("2 PDF files: a.pdf, b.pdf"), "{stderr}");
    let lines = "runner = \"python\"\nentry = \"churn_model.py\"  # or another of: features.py\nreport = \"a.pdf\"  # or another of: b.pdf";
    assert!(stderr.contains(lines), "{stderr}");
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&cli_ok(scene.root.path(), &["candidates", "--json"]))
            .unwrap()[0]["versions"],
        0
    );

    // The lines it printed, written into submission.toml, settle it.
    let folder = tempfile::tempdir().unwrap();
    write_files(folder.path(), &files);
    std::fs::write(folder.path().join("submission.toml"), lines).unwrap();
    let out = scene.submit_path(folder.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("intake inferred"), "{stdout}");
    assert!(
        stdout.contains("hands in churn_model.py (a Python script) instead"),
        "{stdout}"
    );
}

#[test]
fn a_submission_with_no_report_is_taken_in_with_a_warning() {
    let scene = Scene::new();
    let out = scene.accept(&[("main.py", SCRIPT)]);
    assert!(out.contains("# report: none found"), "{out}");
    assert!(out.contains("warning: no report found"), "{out}");
    assert_eq!(scene.stored_manifest()["report"], serde_json::json!([]));
}

#[test]
fn an_archive_wrapped_in_one_folder_is_read_from_inside_it() {
    let scene = Scene::new();
    let folder = tempfile::tempdir().unwrap();
    write_files(
        folder.path(),
        &[
            ("my-solution/run.py", SCRIPT),
            ("my-solution/report.md", REPORT),
        ],
    );
    let out = scene.submit_path(folder.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("entry = \"run.py\"  # the script run.py"),
        "{stdout}"
    );
    assert!(stdout.contains("report = \"report.md\""), "{stdout}");
}

#[test]
fn a_written_manifest_may_list_notebooks_as_the_entry() {
    let scene = Scene::new();
    let out = scene.submit(&[
        (
            "submission.toml",
            "runner = \"python\"\nentry = [\"b.ipynb\", \"a.ipynb\"]\nreport = \"REPORT.md\"\n",
        ),
        ("a.ipynb", &notebook("")),
        ("b.ipynb", &notebook("")),
        ("REPORT.md", REPORT),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("hands in 2 notebooks (b.ipynb, a.ipynb) instead"),
        "{stdout}"
    );
    assert_eq!(
        scene.stored_manifest()["entry"],
        serde_json::json!(["b.ipynb", "a.ipynb"])
    );

    let out = scene.submit(&[
        (
            "submission.toml",
            "runner = \"python\"\nentry = [\"a.py\", \"b.py\"]\nreport = \"REPORT.md\"\n",
        ),
        ("a.py", ""),
        ("b.py", ""),
        ("REPORT.md", REPORT),
    ]);
    // Scripts may run one after another too, in one working copy.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        scene.stored_manifest()["entry"],
        serde_json::json!(["a.py", "b.py"])
    );
}

#[test]
fn the_upload_page_shows_what_intake_inferred_or_the_lines_that_settle_it() {
    use support::web::{Fixture, Part, Server, csrf_of, get, post_multipart, zip_folder};
    let fixture = Fixture::new(1, &[]);
    let server = Server::start(fixture.root(), &["--no-worker"]);
    let (_, token) = &fixture.candidates[0];
    let upload = |files: &[(&str, &str)]| {
        let folder = tempfile::tempdir().unwrap();
        write_files(folder.path(), files);
        let csrf = csrf_of(&get(&server.url(&format!("/c/{token}"))).text());
        post_multipart(
            &server.url(&format!("/c/{token}/upload")),
            &[
                Part::Text("csrf", &csrf),
                Part::File("archive", "work.zip", &zip_folder(folder.path())),
            ],
        )
    };
    let reply = upload(&[
        ("analysis.ipynb", &notebook("## Method\n")),
        ("README.md", REPORT),
    ]);
    let page = reply.text();
    assert_eq!(reply.status, 200, "{page}");
    assert!(page.contains("What intake inferred"), "{page}");
    assert!(
        page.contains("entry = &quot;analysis.ipynb&quot;  # the only notebook"),
        "{page}"
    );
    assert!(
        page.contains("hands in analysis.ipynb (a notebook) instead"),
        "{page}"
    );

    let reply = upload(&[("a.py", SCRIPT), ("b.py", SCRIPT)]);
    let page = reply.text();
    assert_eq!(reply.status, 422, "{page}");
    assert!(
        page.contains("2 Python scripts at the top: a.py, b.py"),
        "{page}"
    );
    assert!(
        page.contains("entry = &quot;a.py&quot;  # or another of: b.py"),
        "{page}"
    );
}

/// Needs the Python runner (`.ci/run` installs it).
#[test]
fn an_inferred_manifest_is_evaluated_like_a_written_one() {
    let scene = Scene::new();
    let folder = tempfile::tempdir().unwrap();
    copy_tree(&repo("assignments/churn/examples/strong"), folder.path());
    std::fs::remove_file(folder.path().join("submission.toml")).unwrap();
    let out = scene.submit_path(folder.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("entry = \"main.py\""), "{stdout}");
    let out = cli_ok(scene.root.path(), &["evaluate", &scene.pseudonym, "--json"]);
    let printed: Value = serde_json::from_str(&out).unwrap();
    let evaluation = &printed[0]["evaluation"];
    let text = printed.to_string();
    assert_eq!(evaluation["record"]["verdict"], "ok", "{text}");
    let score = evaluation["score"]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{text}"));
    assert!((score - 0.861).abs() < 0.0005, "{score}");
}
