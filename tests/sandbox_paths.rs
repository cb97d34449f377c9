//! Paths as programs write them, against the sandbox's preopens: `..` that climbs from one
//! preopen into another, Windows separators, missing files and refused writes, each named in
//! the record's `diagnostics`. WAT guests that call `path_open` directly, through
//! `takehome run --json`.

mod support;

use std::path::Path;

use support::*;
use takehome::sandbox::{DiagnosticKind, RunRecord, Verdict};

/// One `path_open` a probe guest makes.
struct Probe<'a> {
    /// The descriptor the path is relative to (preopens are 3, 4, ... in mount order).
    fd: u32,
    path: &'a str,
    /// `Some(text)`: create (truncate) the file for writing and write `text`.
    write: Option<&'a str>,
}

fn read(fd: u32, path: &str) -> Probe<'_> {
    Probe {
        fd,
        path,
        write: None,
    }
}

fn write<'a>(fd: u32, path: &'a str, text: &'a str) -> Probe<'a> {
    Probe {
        fd,
        path,
        write: Some(text),
    }
}

/// A guest that makes each probe in turn and prints one line for it: `OK` and the first
/// 64 bytes of the file read (the fixture's files are one line each) (or `OK` after a write), or `E` and the WASI errno in two digits.
fn probe_wat(probes: &[Probe]) -> String {
    let mut data = String::new();
    let mut body = String::new();
    let mut at = 4096u32;
    for probe in probes {
        let path_at = at;
        let path_len = probe.path.len() as u32;
        data.push_str(&format!(
            "  (data (i32.const {path_at}) \"{}\")\n",
            escape(probe.path)
        ));
        at += path_len + 16;
        let (oflags, rights, text) = match probe.write {
            None => (0, 2i64, None),
            Some(text) => {
                let text_at = at;
                data.push_str(&format!(
                    "  (data (i32.const {text_at}) \"{}\")\n",
                    escape(text)
                ));
                at += text.len() as u32 + 16;
                (1 | 8, 1i64 << 6, Some((text_at, text.len())))
            }
        };
        let on_success = match text {
            None => "(call $show_read (i32.load (i32.const 0)))".to_string(),
            Some((text_at, len)) => format!(
                "(call $write_to (i32.load (i32.const 0)) (i32.const {text_at}) (i32.const {len})) (call $say_ok)"
            ),
        };
        body.push_str(&format!(
            "    (local.set $e (call $path_open (i32.const {fd}) (i32.const 0) (i32.const {path_at}) (i32.const {path_len}) (i32.const {oflags}) (i64.const {rights}) (i64.const 0) (i32.const 0) (i32.const 0)))\n    (if (i32.eqz (local.get $e)) (then {on_success}) (else (call $say_errno (local.get $e))))\n",
            fd = probe.fd,
        ));
    }
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 1)
{data}
  ;; 0: opened fd; 8: iovec; 16: count; 64..: scratch text; 128..192: file bytes
  (func $write_to (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 8) (local.get $ptr))
    (i32.store (i32.const 12) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 8) (i32.const 1) (i32.const 16))))
  (func $say (param $ptr i32) (param $len i32)
    (call $write_to (i32.const 1) (local.get $ptr) (local.get $len)))
  (func $say_ok
    (i32.store8 (i32.const 64) (i32.const 79))
    (i32.store8 (i32.const 65) (i32.const 75))
    (i32.store8 (i32.const 66) (i32.const 10))
    (call $say (i32.const 64) (i32.const 3)))
  (func $say_errno (param $e i32)
    (i32.store8 (i32.const 64) (i32.const 69))
    (i32.store8 (i32.const 65) (i32.add (i32.const 48) (i32.div_u (local.get $e) (i32.const 10))))
    (i32.store8 (i32.const 66) (i32.add (i32.const 48) (i32.rem_u (local.get $e) (i32.const 10))))
    (i32.store8 (i32.const 67) (i32.const 10))
    (call $say (i32.const 64) (i32.const 4)))
  (func $show_read (param $fd i32)
    (local $n i32)
    (i32.store (i32.const 8) (i32.const 128))
    (i32.store (i32.const 12) (i32.const 64))
    (drop (call $fd_read (local.get $fd) (i32.const 8) (i32.const 1) (i32.const 16)))
    (local.set $n (i32.load (i32.const 16)))
    (i32.store8 (i32.const 64) (i32.const 79))
    (i32.store8 (i32.const 65) (i32.const 75))
    (i32.store8 (i32.const 66) (i32.const 32))
    (call $say (i32.const 64) (i32.const 3))
    (call $say (i32.const 128) (local.get $n))
    (drop (call $fd_close (local.get $fd))))
  (func (export "_start")
    (local $e i32)
{body}  ))
"#
    )
}

fn escape(text: &str) -> String {
    text.bytes().map(|b| format!("\\{b:02x}")).collect()
}

/// A project folder mounted read-only at `/w` (descriptor 3) with the assignment's data
/// mounted over its `data/` at `/w/data` (descriptor 4), and a writable `/out` (descriptor 5).
struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempdir();
        write_files(
            dir.path(),
            &[
                ("project/main.py", "print('main')\n"),
                ("project/notebooks/eda.py", "eda\n"),
                ("project/data/train.csv", "the copy's own\n"),
                ("public/train.csv", "the assignment's\n"),
                ("secret.txt", "TOP-SECRET\n"),
            ],
        );
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        Layout { dir }
    }

    fn run(&self, probes: &[Probe], flags: &[&str]) -> RunRecord {
        let root = self.dir.path();
        let module = wat_file(root, "probe", &probe_wat(probes));
        let work = format!("/w={}", root.join("project").display());
        let data = format!("/w/data={}", root.join("public").display());
        let out = root.join("out").display().to_string();
        let mut all = vec!["--mount", &work, "--mount", &data, "--out", &out];
        all.extend_from_slice(flags);
        run(&module, &all)
    }

    fn out(&self) -> &Path {
        self.dir.path()
    }
}

fn diagnostic(record: &RunRecord, kind: DiagnosticKind) -> Vec<(String, u64)> {
    record
        .diagnostics
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| (d.detail.clone(), d.count))
        .collect()
}

#[test]
fn dot_dot_from_a_nested_folder_reaches_the_data_mount_not_the_copy_underneath() {
    let layout = Layout::new();
    let record = layout.run(
        &[
            read(3, "notebooks/../data/train.csv"),
            read(4, "../main.py"),
            read(3, "notebooks/./../notebooks/eda.py"),
            read(5, "../w/data/train.csv"),
        ],
        &[],
    );
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(
        lines(&record),
        [
            "OK the assignment's",
            "OK print('main')",
            "OK eda",
            "OK the assignment's"
        ]
    );
}

#[test]
fn dot_dot_that_leaves_every_mount_is_still_refused() {
    let layout = Layout::new();
    let record = layout.run(
        &[
            read(3, "notebooks/../../secret.txt"),
            read(4, "../../secret.txt"),
            read(4, "../../../../../../etc/passwd"),
        ],
        &[],
    );
    expect_verdict(&record, Verdict::Ok);
    for line in lines(&record) {
        assert!(line.starts_with('E'), "escaped: {line}");
    }
    assert!(!record.stdout.text.contains("SECRET"));
}

#[test]
fn windows_separators_are_translated_when_only_the_slash_path_exists_and_the_record_says_so() {
    let layout = Layout::new();
    let record = layout.run(
        &[
            read(3, "notebooks\\..\\data\\train.csv"),
            read(3, "notebooks\\eda.py"),
            read(3, "notebooks\\eda.py"),
            read(3, "notebooks\\nothing.py"),
        ],
        &[],
    );
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(
        lines(&record),
        ["OK the assignment's", "OK eda", "OK eda", "E44"]
    );
    assert_eq!(
        diagnostic(&record, DiagnosticKind::TranslatedPath),
        [
            ("/w/notebooks\\..\\data\\train.csv".to_string(), 1),
            ("/w/notebooks\\eda.py".to_string(), 2)
        ]
    );
}

#[test]
fn a_missing_file_and_a_windows_absolute_path_are_named_in_diagnostics() {
    let layout = Layout::new();
    let record = layout.run(
        &[
            read(3, "D:/Users/me/data.csv"),
            read(3, "D:/Users/me/data.csv"),
            read(3, "notebooks/../data/absent.csv"),
        ],
        &[],
    );
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(lines(&record), ["E44", "E44", "E44"]);
    assert_eq!(
        diagnostic(&record, DiagnosticKind::MissingFile),
        [
            ("D:/Users/me/data.csv".to_string(), 2),
            ("/w/data/absent.csv".to_string(), 1)
        ]
    );
    let line = record.diagnostics[0].line();
    assert!(
        line.contains("D:/Users/me/data.csv") && line.contains("2 times"),
        "{line}"
    );
}

#[test]
fn a_write_into_a_read_only_mount_is_refused_and_named() {
    let layout = Layout::new();
    let record = layout.run(
        &[
            write(4, "predictions.csv", "x"),
            write(3, "notebooks/../data/predictions.csv", "x"),
            write(5, "fine.csv", "ok"),
        ],
        &[],
    );
    expect_verdict(&record, Verdict::Ok);
    let said = lines(&record);
    assert!(
        said[0].starts_with('E') && said[1].starts_with('E'),
        "{said:?}"
    );
    assert_eq!(said[2], "OK");
    assert_eq!(
        diagnostic(&record, DiagnosticKind::WriteRefused),
        [("/w/data/predictions.csv".to_string(), 2)]
    );
    assert!(!layout.out().join("public/predictions.csv").exists());
    assert_eq!(record.outputs.len(), 1);
    assert_eq!(record.outputs[0].path, "fine.csv");
}

#[test]
fn a_write_over_the_disk_quota_is_disk_limit_and_names_the_file() {
    let layout = Layout::new();
    let big = "x".repeat(4000);
    let record = layout.run(&[write(5, "big.bin", &big)], &["--out-limit", "1000"]);
    expect_verdict(&record, Verdict::DiskLimit);
    let refused = diagnostic(&record, DiagnosticKind::WriteRefused);
    assert_eq!(refused, [("big.bin".to_string(), 1)], "{record:#?}");
}
