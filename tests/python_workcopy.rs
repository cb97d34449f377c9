//! Python programs as candidates hand them in, run through `takehome run`: a writable working
//! copy whose created or changed files are the outputs, notebooks in subfolders reading
//! `../data`, and diagnostics that name the missing module, file or host. Real scripts in the
//! real sandbox; needs `takehome runner install python` first (`.ci/run` does it).

mod support;

use std::path::Path;
use std::process::Command;

use support::{check_record, snapshot_tree, tempdir, write_files};
use takehome::sandbox::{DiagnosticKind, RunRecord, Verdict};

/// `takehome run SCRIPT --json FLAGS` with the inherited runner cache, parsed and checked.
fn run(script: &Path, flags: &[&str]) -> RunRecord {
    let record: RunRecord =
        serde_json::from_value(support::run_python_json(script, flags)).unwrap();
    check_record(&record);
    record
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempdir();
    write_files(dir.path(), files);
    dir
}

fn paths(record: &RunRecord) -> Vec<&str> {
    record.outputs.iter().map(|o| o.path.as_str()).collect()
}

fn diagnostics(record: &RunRecord, kind: DiagnosticKind) -> Vec<&str> {
    record
        .diagnostics
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| d.detail.as_str())
        .collect()
}

fn ok(record: &RunRecord) {
    assert_eq!(
        record.verdict,
        Verdict::Ok,
        "{}\n{:#?}",
        record.stderr.text,
        record.diagnostics
    );
}

const WRITES_NEXT_TO_ITSELF: &str = "import pickle, numpy as np, pandas as pd\n\
import matplotlib.pyplot as plt\n\
import os\n\
pd.DataFrame({'id': [1, 2], 'p': [0.25, 0.75]}).to_csv('predictions.csv', index=False)\n\
with open('model.pkl', 'wb') as f:\n\
\x20   pickle.dump({'weights': [1, 2, 3]}, f)\n\
os.makedirs('plots', exist_ok=True)\n\
fig, ax = plt.subplots(figsize=(2, 2))\n\
ax.plot([0, 1], [0, 1])\n\
fig.savefig('plots/roc.png', dpi=30)\n\
with open('notes.txt') as f:\n\
\x20   same = f.read()\n\
with open('notes.txt', 'w') as f:\n\
\x20   f.write(same)\n\
print(sorted(os.listdir('.')))\n";

#[test]
fn a_script_writing_next_to_itself_lists_every_file_it_made_and_leaves_its_folder_alone() {
    let dir = project(&[
        ("main.py", WRITES_NEXT_TO_ITSELF),
        ("notes.txt", "unchanged\n"),
        ("helpers/util.py", "X = 1\n"),
    ]);
    let before = snapshot_tree(dir.path());
    let results = tempdir();
    let out = results.path().join("results");
    let record = run(
        &dir.path().join("main.py"),
        &["--out", out.to_str().unwrap()],
    );
    ok(&record);
    assert_eq!(
        paths(&record),
        ["model.pkl", "plots/roc.png", "predictions.csv"]
    );
    assert_eq!(
        snapshot_tree(dir.path()),
        before,
        "the folder itself was changed"
    );
    let csv = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    assert_eq!(csv, "id,p\n1,0.25\n2,0.75\n");
    let png = std::fs::read(out.join("plots/roc.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    assert!(out.join("model.pkl").is_file());
    assert!(!out.join("main.py").exists() && !out.join("notes.txt").exists());
    assert!(record.stdout.text.contains("'predictions.csv'"));
}

#[test]
fn files_written_in_the_working_copy_count_against_the_disk_quota() {
    let dir = project(&[(
        "main.py",
        "with open('big.bin', 'wb') as f:\n    f.write(b'x' * 3_000_000)\n",
    )]);
    let record = run(&dir.path().join("main.py"), &["--out-limit", "1MiB"]);
    assert_eq!(record.verdict, Verdict::DiskLimit, "{record:#?}");
    assert_eq!(
        diagnostics(&record, DiagnosticKind::WriteRefused),
        ["big.bin"]
    );
}

#[test]
fn a_nested_notebook_script_reads_the_assignment_data_through_dot_dot() {
    let dir = project(&[
        (
            "submission/notebooks/analysis.py",
            "import os, pandas as pd\n\
             df = pd.read_csv('../data/train.csv')\n\
             print(os.getcwd(), df['x'].sum())\n\
             df.to_csv('../out/copy.csv', index=False)\n\
             open('figure.txt', 'w').write('here')\n",
        ),
        ("submission/data/train.csv", "x\n100\n"),
        ("public/train.csv", "x\n1\n2\n"),
    ]);
    let root = dir.path().join("submission");
    let data = format!("data={}", dir.path().join("public").display());
    let record = run(
        &root.join("notebooks/analysis.py"),
        &["--root", root.to_str().unwrap(), "--mount", &data],
    );
    ok(&record);
    assert_eq!(record.stdout.text, "/work/notebooks 3\n");
    assert_eq!(paths(&record), ["notebooks/figure.txt", "out/copy.csv"]);
    assert_eq!(
        diagnostics(&record, DiagnosticKind::DataShadowed),
        ["data/"],
        "the record must say the assignment's data hid the copy's own"
    );
}

#[test]
fn without_assignment_data_the_copy_own_data_folder_is_writable() {
    let dir = project(&[
        (
            "main.py",
            "import pandas as pd\n\
             df = pd.read_csv('data/raw.csv')\n\
             (df * 2).to_csv('data/processed.csv', index=False)\n",
        ),
        ("data/raw.csv", "x\n1\n"),
    ]);
    let record = run(&dir.path().join("main.py"), &[]);
    ok(&record);
    assert_eq!(paths(&record), ["data/processed.csv"]);
    assert!(!dir.path().join("data/processed.csv").exists());
}

#[test]
fn imports_of_missing_packages_say_why_and_where_to_look() {
    for (module, why) in [
        ("torch", "PyTorch is a package with compiled code"),
        ("xgboost", "XGBoost is a package with compiled code"),
        (
            "no_such_package_anywhere",
            "the python runner does not provide it",
        ),
    ] {
        let dir = project(&[("main.py", &format!("print('start')\nimport {module}\n"))]);
        let record = run(&dir.path().join("main.py"), &[]);
        assert_eq!(record.verdict, Verdict::Exit, "{module}: {record:#?}");
        let stderr = &record.stderr.text;
        assert!(
            stderr.contains(&format!("No module named '{module}'")),
            "{stderr}"
        );
        assert!(stderr.contains(why), "{stderr}");
        assert!(stderr.contains("takehome runner list"), "{stderr}");
        assert!(!stderr.contains("site initialization"), "{stderr}");
        assert!(stderr.contains("main.py\", line 2"), "{stderr}");
        assert_eq!(
            diagnostics(&record, DiagnosticKind::MissingModule),
            [module]
        );
    }
}

#[test]
fn windows_paths_missing_files_and_sockets_are_named_in_diagnostics() {
    let dir = project(&[
        (
            "notebooks/explore.py",
            "import socket\n\
             for path in ['D:/Users/me/data.csv', 'missing.csv', 'missing.csv', '..\\\\Datasets\\\\x.csv']:\n\
             \x20   try:\n\
             \x20       print(open(path).read().strip())\n\
             \x20   except OSError as e:\n\
             \x20       print('no', path)\n\
             try:\n\
             \x20   socket.create_connection(('example.org', 443), timeout=1)\n\
             except Exception as e:\n\
             \x20   print('no network')\n",
        ),
        ("Datasets/x.csv", "translated\n"),
    ]);
    let root = dir.path().to_path_buf();
    let record = run(
        &root.join("notebooks/explore.py"),
        &["--root", root.to_str().unwrap()],
    );
    ok(&record);
    assert_eq!(
        record.stdout.text,
        "no D:/Users/me/data.csv\nno missing.csv\nno missing.csv\ntranslated\nno network\n"
    );
    assert_eq!(
        diagnostics(&record, DiagnosticKind::MissingFile),
        ["D:/Users/me/data.csv", "missing.csv"]
    );
    let missing = record
        .diagnostics
        .iter()
        .find(|d| d.detail == "missing.csv")
        .unwrap();
    assert_eq!(missing.count, 2);
    assert!(
        missing.message.contains("/work/notebooks"),
        "{}",
        missing.message
    );
    assert_eq!(
        diagnostics(&record, DiagnosticKind::TranslatedPath),
        ["notebooks/..\\Datasets\\x.csv"]
    );
    assert_eq!(
        diagnostics(&record, DiagnosticKind::Network),
        ["example.org:443"]
    );
}

#[test]
fn a_planted_symlink_in_the_copy_is_listed_not_followed() {
    let dir = project(&[(
        "main.py",
        "import os\n\
         for target, name in [('/etc/passwd', 'passwd'), ('../../../../etc/passwd', 'up'), ('main.py', 'alias')]:\n\
         \x20   try:\n\
         \x20       os.symlink(target, name)\n\
         \x20       print('planted', name)\n\
         \x20   except OSError:\n\
         \x20       print('refused', name)\n\
         for name in ['passwd', 'up']:\n\
         \x20   try:\n\
         \x20       print('READ', open(name).read()[:10])\n\
         \x20   except OSError:\n\
         \x20       print('denied', name)\n",
    )]);
    let record = run(&dir.path().join("main.py"), &[]);
    ok(&record);
    let text = &record.stdout.text;
    assert!(!text.contains("READ") && !text.contains("root:"), "{text}");
    assert!(text.contains("planted alias"), "{text}");
    let planted: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("planted "))
        .collect();
    let listed: Vec<_> = record
        .outputs
        .iter()
        .map(|o| (o.path.as_str(), o.kind.as_str(), o.sha256.is_none()))
        .collect();
    let expected: Vec<_> = planted.iter().map(|p| (*p, "symlink", true)).collect();
    let mut expected = expected;
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn a_file_count_flood_in_the_working_copy_is_disk_limit() {
    let dir = project(&[(
        "main.py",
        "for i in range(1_000_000):\n    open(f'f{i}.txt', 'w').close()\n",
    )]);
    let record = run(&dir.path().join("main.py"), &["--out-files", "50"]);
    assert_eq!(record.verdict, Verdict::DiskLimit, "{record:#?}");
    assert!(record.outputs.len() <= 51);
    assert!(!diagnostics(&record, DiagnosticKind::WriteRefused).is_empty());
}

#[test]
fn a_huge_sparse_file_in_the_working_copy_is_disk_limit_and_never_read() {
    let dir = project(&[(
        "main.py",
        "with open('sparse.bin', 'wb') as f:\n    f.seek(50 * 2**30)\n    f.write(b'x')\n",
    )]);
    let record = run(&dir.path().join("main.py"), &["--out-limit", "1MiB"]);
    assert_eq!(record.verdict, Verdict::DiskLimit, "{record:#?}");
    for output in &record.outputs {
        assert!(
            output.bytes <= 1 << 20 || output.sha256.is_none(),
            "{output:?}"
        );
    }
}

#[test]
fn root_must_hold_the_program() {
    let dir = project(&[("a/main.py", "print(1)\n"), ("b/x.txt", "")]);
    let output = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .arg("run")
        .arg(dir.path().join("a/main.py"))
        .arg("--root")
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not inside --root"), "{stderr}");
}
