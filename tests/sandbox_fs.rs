//! Hostile guests against the sandbox's filesystem: escapes by `..`, absolute paths and
//! symlinks, writes into read-only mounts, hard links, and every way found of putting more
//! on disk than the quota allows. C guests (tests/guests/*.c) through `takehome run --json`.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;
use takehome::sandbox::{RunRecord, Verdict};

const SECRET: &str = "TOP-SECRET-HOST-FILE";

/// A host folder laid out as
///   secret.txt          outside every mount
///   data/               mounted read-only at /data
///     a.txt inside.txt sub/b.txt empty/
///   out/                mounted writable at /out (made by the harness)
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempdir();
        write_files(
            dir.path(),
            &[
                ("secret.txt", SECRET),
                ("data/a.txt", "alpha\n"),
                ("data/inside.txt", "inside the mount\n"),
                ("data/sub/b.txt", "beta\n"),
            ],
        );
        std::fs::create_dir(dir.path().join("data/empty")).unwrap();
        Fixture { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn data(&self) -> PathBuf {
        self.root().join("data")
    }
    fn out(&self) -> PathBuf {
        self.root().join("out")
    }

    /// Runs `guest` with /data and /out mounted, plus `flags` (which may end in `-- ARGS`).
    fn run(&self, guest: &str, flags: &[&str]) -> RunRecord {
        let mount = format!("/data={}", self.data().display());
        let out = self.out().display().to_string();
        let mut all = vec!["--mount", &mount, "--out", &out];
        all.extend_from_slice(flags);
        run(&c_guest(guest), &all)
    }

    /// Everything outside `out/`, for before/after comparison.
    fn outside_out(&self) -> std::collections::BTreeMap<String, String> {
        let mut tree = snapshot_tree(self.root());
        tree.retain(|path, _| path != "out" && !path.starts_with("out/") && path != ".");
        tree
    }
}

fn assert_no_secret(record: &RunRecord) {
    for text in [&record.stdout.text, &record.stderr.text] {
        assert!(
            !text.contains(SECRET),
            "the guest read the host's secret:\n{text}"
        );
        assert!(
            !text.contains("root:"),
            "the guest read /etc/passwd:\n{text}"
        );
    }
}

/// Lines of the guest's report that start with `prefix`.
fn report_lines<'a>(record: &'a RunRecord, prefix: &str) -> Vec<&'a str> {
    lines(record)
        .into_iter()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

#[test]
fn dotdot_and_absolute_paths_do_not_escape() {
    let fx = Fixture::new();
    let before = fx.outside_out();
    // The guest's "/tmp/escaped.txt" must not become the host's (the fixture also lives in
    // the host's temporary folder, whose parent "../escaped.txt" attempts aim at).
    let host_tmp_escape = std::env::temp_dir().join("escaped.txt");
    let existed = host_tmp_escape.exists();
    let record = fx.run("escape", &[]);
    expect_verdict(&record, Verdict::Ok);
    assert_no_secret(&record);

    let reads = report_lines(&record, "read ");
    assert_eq!(reads.len(), 19, "{}", record.stdout.text);
    for line in reads {
        if line.starts_with("read /data/inside.txt:") {
            // The mount itself is readable: the failures below are not a broken mount.
            assert_eq!(line, "read /data/inside.txt: OPEN inside the mount ");
        } else {
            assert!(line.contains(": FAIL "), "escaped: {line}");
        }
    }
    for line in report_lines(&record, "list ") {
        if line.starts_with("list /data:") {
            assert!(line.contains("inside.txt"), "{line}");
        } else {
            assert!(line.contains(": FAIL "), "escaped: {line}");
        }
    }
    let creates = report_lines(&record, "create ");
    assert_eq!(creates.len(), 6);
    for line in creates {
        assert!(line.contains(": FAIL "), "escaped: {line}");
    }
    // Nothing appeared or changed outside /out, and /out is empty.
    assert_eq!(fx.outside_out(), before);
    assert_eq!(host_tmp_escape.exists(), existed);
    assert!(record.outputs.is_empty(), "{:?}", record.outputs);
}

#[test]
fn symlink_escape_is_not_followed() {
    let fx = Fixture::new();
    let before = fx.outside_out();
    let record = fx.run("symlinks", &[]);
    expect_verdict(&record, Verdict::Ok);
    assert_no_secret(&record);

    // Links with absolute targets are refused outright; relative ones may be made, since
    // a link is only a name, but following any of them out of /out fails.
    let made: Vec<&str> = report_lines(&record, "symlink ")
        .into_iter()
        .filter(|l| l.ends_with(": MADE"))
        .map(|l| l["symlink /out/".len()..].split(' ').next().unwrap())
        .collect();
    for name in ["root", "passwd_abs", "data_abs"] {
        assert!(!made.contains(&name), "absolute symlink {name} was made");
    }
    // The test relies on these being made: they point at /etc/passwd, at the folder above
    // /out, at /out itself, and at the read-only mount.
    for name in ["passwd", "up", "parent", "self", "data_rel"] {
        assert!(
            made.contains(&name),
            "{name} not made:\n{}",
            record.stdout.text
        );
    }
    let follows = report_lines(&record, "follow ");
    assert_eq!(follows.len(), 7);
    for line in follows {
        assert!(line.contains(": FAIL "), "followed out of /out: {line}");
    }
    for line in report_lines(&record, "create ")
        .into_iter()
        .chain(report_lines(&record, "truncate "))
    {
        assert!(!line.ends_with(": MADE"), "wrote through a link: {line}");
    }
    assert_eq!(fx.outside_out(), before);

    // The harness, collecting outputs, lists each link as a link: no hash, no size, and
    // nothing from behind it (no `self/...`, `parent/...`, or the passwd file's content).
    let listed: Vec<(&str, &str)> = record
        .outputs
        .iter()
        .map(|o| (o.path.as_str(), o.kind.as_str()))
        .collect();
    let mut expected: Vec<(&str, &str)> = made.iter().map(|n| (*n, "symlink")).collect();
    expected.push(("plain.txt", "file"));
    expected.sort();
    assert_eq!(listed, expected);
    for output in &record.outputs {
        if output.kind == takehome::sandbox::OutputKind::Symlink {
            assert_eq!((output.bytes, &output.sha256), (0, &None), "{output:?}");
        }
    }
    let plain = record
        .outputs
        .iter()
        .find(|o| o.path == "plain.txt")
        .unwrap();
    assert_eq!(
        plain.sha256.as_deref(),
        Some(sha256_hex(b"plain\n").as_str())
    );
    // The links are really there on the host, still pointing where the guest aimed them.
    let passwd = std::fs::read_link(fx.out().join("passwd")).unwrap();
    assert!(passwd.ends_with("etc/passwd"), "{}", passwd.display());
}

#[test]
fn read_only_mount_is_unchanged() {
    let fx = Fixture::new();
    let before = snapshot_tree(&fx.data());
    let record = fx.run("readonly", &[]);
    expect_verdict(&record, Verdict::Ok);
    let attempts = lines(&record);
    assert_eq!(attempts.len(), 24, "{}", record.stdout.text);
    for line in &attempts {
        assert!(
            line.contains(": FAIL "),
            "changed the read-only mount: {line}"
        );
    }
    assert_eq!(snapshot_tree(&fx.data()), before);
    // Nothing was moved out of the mount into /out either.
    let listed: Vec<&str> = record.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(listed, ["mine.txt"]);
}

#[test]
fn hard_link_is_refused() {
    let fx = Fixture::new();
    let before = snapshot_tree(&fx.data());
    let record = fx.run("hardlink", &[]);
    expect_verdict(&record, Verdict::Ok);
    let links = report_lines(&record, "link ");
    assert_eq!(links.len(), 3, "{}", record.stdout.text);
    for line in links {
        assert!(
            line.ends_with(": FAIL Operation not permitted"),
            "a hard link was made: {line}"
        );
    }
    assert!(!record.stdout.text.contains("wrote through"));
    assert_eq!(snapshot_tree(&fx.data()), before);
    assert_eq!(
        std::fs::metadata(fx.data().join("a.txt")).unwrap().nlink(),
        1
    );
    let listed: Vec<&str> = record.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(listed, ["own.txt"]);
}

/// Runs the disk-flood guest in `mode` with a 1 MiB, 50-file quota.
fn flood(mode: &str) -> (Fixture, RunRecord) {
    let fx = Fixture::new();
    let record = fx.run(
        "diskflood",
        &[
            "--out-limit",
            "1MiB",
            "--out-files",
            "50",
            "--wall",
            "20s",
            "--",
            mode,
        ],
    );
    (fx, record)
}

/// The guest was stopped by the quota, not by a write error it saw and gave up on.
fn assert_stopped_by_quota(record: &RunRecord, what: &str) {
    expect_verdict(record, Verdict::DiskLimit);
    assert!(record.message.contains(what), "{}", record.message);
    assert!(
        !record.stderr.text.contains("write:") && !record.stdout.text.contains("made a"),
        "the guest ran on: {}{}",
        record.stdout.text,
        record.stderr.text
    );
}

#[test]
fn disk_flood_is_disk_limit() {
    let (fx, record) = flood("big");
    assert_stopped_by_quota(&record, "1048576");
    // The write that would have crossed the quota was refused before it happened.
    let (bytes, _) = tree_usage(&fx.out());
    assert!(bytes <= 1 << 20, "{bytes} bytes on the host");
    let big = &record.outputs[0];
    assert_eq!((big.path.as_str(), big.bytes), ("big", bytes));
    assert!(big.sha256.is_some());
}

#[test]
fn file_count_flood_is_disk_limit() {
    let (fx, record) = flood("many");
    assert_stopped_by_quota(&record, "entries");
    let (_, entries) = tree_usage(&fx.out());
    assert!(entries <= 51, "{entries} entries on the host");
    assert!(record.outputs.len() <= 51);
}

#[test]
fn folder_flood_is_disk_limit() {
    let (fx, record) = flood("dirs");
    assert_stopped_by_quota(&record, "entries");
    let (_, entries) = tree_usage(&fx.out());
    assert!(entries <= 51, "{entries} entries on the host");
}

#[test]
fn sparse_file_is_disk_limit() {
    // A 1 TiB sparse file by seeking, by truncating and by writing at an offset.
    for mode in ["seek", "truncate", "pwrite"] {
        let (fx, record) = flood(mode);
        assert_stopped_by_quota(&record, "1048576");
        // Whatever was left uses no real space, and the harness did not read it to hash it.
        let meta = std::fs::symlink_metadata(fx.out().join("sparse")).unwrap();
        assert!(
            meta.blocks() * 512 <= 1 << 20,
            "{mode}: {} blocks",
            meta.blocks()
        );
        let sparse = &record.outputs[0];
        assert_eq!((sparse.path.as_str(), sparse.bytes), ("sparse", meta.len()));
        if meta.len() > 1 << 20 {
            assert_eq!(sparse.sha256, None, "{mode}");
        }
        assert!(record.wall_ms < 5000, "{mode}: {} ms", record.wall_ms);
    }
}

#[test]
fn file_renumbered_onto_stdout_still_counts_against_the_quota() {
    // fd_renumber(file, 1): writes to descriptor 1 are now disk writes, not captured output.
    let (fx, record) = flood("renumber");
    assert_stopped_by_quota(&record, "1048576");
    let (bytes, _) = tree_usage(&fx.out());
    assert!(bytes <= 1 << 20, "{bytes} bytes on the host");
    assert_eq!(record.stdout.bytes, 0);
}

#[test]
fn file_reusing_closed_stdout_still_counts_against_the_quota() {
    // close(1), then open: the file gets the free number 1.
    let (fx, record) = flood("reopen");
    assert_stopped_by_quota(&record, "1048576");
    assert!(
        record.stderr.text.contains("the file got fd 1"),
        "{}",
        record.stderr.text
    );
    let (bytes, _) = tree_usage(&fx.out());
    assert!(bytes <= 1 << 20, "{bytes} bytes on the host");
}

#[test]
fn folders_nested_past_path_max_are_disk_limit() {
    // Nested through relative opens, the host path of the bottom folder is longer than the
    // host can open; what is below it must not escape the quota by being unmeasurable.
    let (fx, record) = flood("deep");
    expect_verdict(&record, Verdict::DiskLimit);
    assert!(
        !record.stderr.text.contains("write:"),
        "{}",
        record.stderr.text
    );
    // `find` walks by descriptor, so it sees below PATH_MAX.
    let output = Command::new("find")
        .arg(fx.out())
        .args(["-type", "f", "-printf", "%s\\n"])
        .output()
        .unwrap();
    let bytes: u64 = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.parse::<u64>().unwrap())
        .sum();
    assert!(bytes <= 1 << 20, "{bytes} bytes on the host");
}
