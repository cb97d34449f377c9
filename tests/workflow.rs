//! The assignment → issue → submission workflow through the CLI, on a real SQLite workspace.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::{copy_tree, repo};

const BIN: &str = env!("CARGO_BIN_EXE_takehome");

struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        let ws = Ws { dir };
        ws.ok(&["init", "."]);
        ws
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.root())
            .env_remove("TAKEHOME_WORKSPACE")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn candidates(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["candidates", "--json"])).unwrap()
    }

    /// Issues the churn assignment and returns the pseudonym.
    fn issue(&self, who: &str, extra: &[&str]) -> String {
        let mut args = vec!["issue", "churn", "--candidate", who];
        args.extend_from_slice(extra);
        let out = self.ok(&args);
        let pseudonym = support::issued_pseudonym(&out);
        assert!(pseudonym.starts_with("C-") && pseudonym.len() >= 6, "{out}");
        pseudonym
    }
}

fn zip_folder(folder: &Path, into: &Path, wrap: &str) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(into).unwrap());
    for entry in std::fs::read_dir(folder).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{wrap}{}", entry.file_name().to_string_lossy());
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(entry.path()).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn full_workflow_init_add_issue_submit_list() {
    let ws = Ws::new();
    assert!(
        ws.ok(&[
            "assignment",
            "add",
            repo("assignments/churn").to_str().unwrap()
        ])
        .contains("added churn revision 1")
    );
    assert!(
        ws.ok(&[
            "assignment",
            "add",
            repo("assignments/sensor-anomalies").to_str().unwrap()
        ])
        .contains("added")
    );
    let listed = ws.ok(&["assignment", "list"]);
    assert!(
        listed.contains("churn") && listed.contains("sensor-anomalies"),
        "{listed}"
    );

    let ada = ws.issue("Ada Lovelace <ada@example.org>", &[]);
    let alan = ws.issue("Alan Turing <alan@example.org>", &["--due", "2020-01-01"]);
    assert_ne!(ada, alan);

    // The bundle carries the brief, public data and instructions, never hidden files.
    let bundle = std::fs::File::open(ws.root().join(format!("bundles/{ada}.zip"))).unwrap();
    let archive = zip::ZipArchive::new(bundle).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.ends_with("/brief.md")));
    assert!(names.iter().any(|n| n.ends_with("/data/train.csv")));
    assert!(names.iter().any(|n| n.ends_with("/SUBMITTING.md")));
    assert!(names.iter().any(|n| n.ends_with("/submission.toml")));
    assert!(
        !names
            .iter()
            .any(|n| n.contains("hidden") || n.contains("test_labels")),
        "{names:?}"
    );

    let strong = repo("assignments/churn/examples/strong");
    let out = ws.ok(&["submit", &ada, strong.to_str().unwrap()]);
    assert!(out.contains(&format!("accepted {ada}/1")), "{out}");
    // The same content as a zip wrapped in a folder is recognised as identical.
    let zip_path = ws.root().join("strong.zip");
    zip_folder(&strong, &zip_path, "my-submission/");
    let out = ws.ok(&["submit", &ada, zip_path.to_str().unwrap()]);
    assert!(
        out.contains(&format!("identical content to {ada}/1")),
        "{out}"
    );

    let out = ws.ok(&[
        "submit",
        "alan@example.org",
        repo("assignments/churn/examples/overclaiming")
            .to_str()
            .unwrap(),
    ]);
    assert!(out.contains("late"), "{out}");
    assert!(out.contains("no section \"Limitations\""), "{out}");

    let candidates = ws.candidates();
    let status =
        |p: &str| candidates.iter().find(|c| c["pseudonym"] == p).unwrap()["status"].clone();
    assert_eq!(status(&ada), "submitted");
    assert_eq!(status(&alan), "late");
}

#[test]
fn changed_assignment_becomes_a_new_version_and_issued_candidates_keep_theirs() {
    let ws = Ws::new();
    let copy = tempfile::tempdir().unwrap();
    let folder = copy.path().join("churn");
    copy_tree(&repo("assignments/churn"), &folder);
    std::fs::remove_dir_all(folder.join("examples")).unwrap();
    ws.ok(&["assignment", "add", folder.to_str().unwrap()]);
    let first = ws.issue("Ada Lovelace <ada@example.org>", &[]);
    std::fs::write(folder.join("brief.md"), "# A changed brief\n").unwrap();
    assert!(
        ws.ok(&["assignment", "add", folder.to_str().unwrap()])
            .contains("revision 2")
    );
    let second = ws.issue("Alan Turing <alan@example.org>", &[]);
    let brief = |p: &str| {
        let mut archive = zip::ZipArchive::new(
            std::fs::File::open(ws.root().join(format!("bundles/{p}.zip"))).unwrap(),
        )
        .unwrap();
        let name = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .find(|n| n.ends_with("brief.md"))
            .unwrap();
        std::io::read_to_string(archive.by_name(&name).unwrap()).unwrap()
    };
    assert_ne!(brief(&first), "# A changed brief\n");
    assert_eq!(brief(&second), "# A changed brief\n");
}

#[test]
fn rejected_upload_stores_nothing() {
    let ws = Ws::new();
    ws.ok(&[
        "assignment",
        "add",
        repo("assignments/churn").to_str().unwrap(),
    ]);
    let ada = ws.issue("Ada Lovelace <ada@example.org>", &[]);
    let blobs_before = count_files(&ws.root().join("blobs"));
    let evil = ws.root().join("evil.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&evil).unwrap());
    zip.start_file(
        "../../escaped.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(b"gotcha").unwrap();
    zip.finish().unwrap();
    let out = ws.cmd(&["submit", &ada, evil.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rejected"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!ws.root().parent().unwrap().join("escaped.txt").exists());
    assert_eq!(count_files(&ws.root().join("blobs")), blobs_before);
    assert_eq!(count_files(&ws.root().join("tmp")), 0);
    assert_eq!(ws.candidates()[0]["versions"], 0);

    // A submission without its report or entry point is rejected too, naming what is missing.
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    let out = ws.cmd(&["submit", &ada, folder.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("main.py") && stderr.contains("REPORT.md"),
        "{stderr}"
    );
}

#[test]
fn user_errors_say_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["candidates"])
        .current_dir(empty.path())
        .env_remove("TAKEHOME_WORKSPACE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("takehome init"));
    let ws = Ws::new();
    let out = ws.cmd(&["submit", "C-NOPE", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("takehome candidates"));
    let out = ws.cmd(&["issue", "nope", "--candidate", "Ada <ada@example.org>"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("takehome assignment add"));
    let out = ws.cmd(&["issue", "nope", "--candidate", "Ada"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Ada Lovelace <ada@example.org>"));
}

/// Kills `takehome submit` at different moments; the workspace must stay consistent: every
/// recorded version's files are whole blobs, and the next submit works.
#[test]
fn killing_submit_midway_leaves_the_workspace_consistent() {
    let ws = Ws::new();
    ws.ok(&[
        "assignment",
        "add",
        repo("assignments/churn").to_str().unwrap(),
    ]);
    let ada = ws.issue("Ada Lovelace <ada@example.org>", &[]);
    let big = tempfile::tempdir().unwrap();
    copy_tree(&repo("assignments/churn/examples/strong"), big.path());
    for i in 0..1500 {
        std::fs::write(
            big.path().join(format!("notes_{i:04}.txt")),
            format!("note {i}\n").repeat(200),
        )
        .unwrap();
    }
    for delay_ms in [5u64, 20, 60, 120, 250, 400] {
        let mut child = Command::new(BIN)
            .args(["submit", &ada, big.path().to_str().unwrap()])
            .current_dir(ws.root())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        assert_consistent(ws.root());
    }
    ws.ok(&[
        "submit",
        &ada,
        repo("assignments/churn/examples/strong").to_str().unwrap(),
    ]);
    assert_consistent(ws.root());
}

fn assert_consistent(root: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let workspace = takehome::store::Workspace::open(root, None).await.unwrap();
        for version in workspace.store.submissions(None).await.unwrap() {
            let files: Vec<Value> = serde_json::from_str(&version.files).unwrap();
            for file in files {
                let sha = file["sha256"].as_str().unwrap();
                let bytes = workspace
                    .blobs
                    .get(sha)
                    .unwrap_or_else(|e| panic!("{}: {e}", version.id));
                assert_eq!(
                    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
                    sha
                );
            }
        }
        workspace.store.close().await;
    });
}

fn count_files(dir: &Path) -> usize {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return 0;
    };
    listing
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}
