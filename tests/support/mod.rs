//! Helpers shared by the sandbox integration tests (`mod support;` in each test file).
//!
//! - [`run`] runs `takehome run MODULE --json ...` and parses the record. Every record the
//!   suite sees goes through [`check_record`], which fails the test on verdict `internal`: no
//!   hostile guest may make the harness fault.
//! - [`wat_file`] writes WAT text to a file (`takehome run` takes `.wat` directly).
//! - [`c_guest`] compiles `tests/guests/NAME.c` to wasm32-wasip1 with Debian's clang and
//!   wasi-libc, once per source content, into `target/test-guests/`.
//! - [`cli`], [`cli_ok`], [`repo`] and [`issued_pseudonym`] drive workspace commands;
//!   [`evaluate_all`] and [`evaluation_of`] read `evaluate --all --json`.
//! - [`copy_tree`] copies a folder of plain files (an example assignment, a submission).
//! - [`web`] drives `takehome serve` over real HTTP; [`browser`] drives headless Chromium.
#![allow(dead_code)]

pub mod backend;
pub mod browser;
pub mod web;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use takehome::sandbox::{RunRecord, Verdict};

/// Debian packages the C guests need.
pub const APT_PACKAGES: &str = "clang lld wasi-libc libclang-rt-dev-wasm32";

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Cargo's target folder (the parent of `CARGO_TARGET_TMPDIR`).
pub fn target_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(Path::to_path_buf).unwrap_or(tmp)
}

/// The compile cache shared by the suite's CLI runs: keyed by module hash, written
/// atomically, so parallel tests may share it. Kept away from the user's own cache.
pub fn shared_cache() -> PathBuf {
    target_dir().join("test-takehome-cache")
}

pub fn guest_path(file: &str) -> PathBuf {
    manifest_dir().join("tests/guests").join(file)
}

/// A `.wat` file from `tests/guests/`.
pub fn guest_wat(name: &str) -> PathBuf {
    let path = guest_path(&format!("{name}.wat"));
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// Writes `wat` to `dir/name.wat` and returns the path.
pub fn wat_file(dir: &Path, name: &str, wat: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wat"));
    std::fs::write(&path, wat).unwrap();
    path
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("cannot make a temporary folder")
}

/// `takehome ARGS` with the suite's cache, returning the raw output.
pub fn takehome<I, S>(args: I, envs: &[(&str, &OsStr)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_takehome"));
    command
        .args(args)
        .env("TAKEHOME_CACHE", shared_cache())
        .env_remove("RUST_LOG");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("cannot start the takehome binary")
}

/// `takehome run SCRIPT --json FLAGS...` for a Python program, with the runner cache the
/// suite inherits (`TAKEHOME_CACHE` as set, as in CI, else the user's), as raw JSON. Fails
/// the test when the command itself fails.
pub fn run_python_json(script: &Path, flags: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .arg("run")
        .arg(script)
        .arg("--json")
        .args(flags)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "takehome run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no run record ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// [`run_python_json`] parsed as a record and checked by [`check_record`] (scripts and
/// notebooks alike).
pub fn run_python(script: &Path, flags: &[&str]) -> RunRecord {
    let json = run_python_json(script, flags);
    let record: RunRecord = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("the record does not parse as a RunRecord ({e}):\n{json:#}"));
    check_record(&record);
    record
}

/// `takehome run MODULE --json FLAGS...` and its parsed record (flags may end in `-- ARGS`).
pub fn run(module: &Path, flags: &[&str]) -> RunRecord {
    run_env(module, flags, &[])
}

/// As [`run`], with extra environment variables for the harness process itself.
pub fn run_env(module: &Path, flags: &[&str], envs: &[(&str, &OsStr)]) -> RunRecord {
    let json = run_json_env(module, flags, envs);
    let record: RunRecord = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("the record does not parse as a RunRecord ({e}):\n{json:#}"));
    check_record(&record);
    record
}

/// The record as raw JSON, for checks on the interface itself.
pub fn run_json_env(module: &Path, flags: &[&str], envs: &[(&str, &OsStr)]) -> serde_json::Value {
    let (flags, guest_args) = match flags.iter().position(|f| *f == "--") {
        Some(at) => (&flags[..at], &flags[at..]),
        None => (flags, &[][..]),
    };
    let mut args: Vec<&OsStr> = vec!["run".as_ref(), module.as_os_str(), "--json".as_ref()];
    args.extend(flags.iter().map(|f| OsStr::new(*f)));
    args.extend(guest_args.iter().map(|f| OsStr::new(*f)));
    let output = takehome(&args, envs);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "takehome {args:?} exited with {} (a recorded run must exit 0)\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "takehome {args:?} printed no JSON record ({e})\nstdout:\n{stdout}\nstderr:\n{stderr}"
        )
    })
}

/// What every record must satisfy, whatever the guest did.
pub fn check_record(record: &RunRecord) {
    assert_ne!(
        record.verdict,
        Verdict::Internal,
        "a hostile guest made the harness fault: {record:#?}"
    );
    for stream in [&record.stdout, &record.stderr] {
        assert!(stream.text.len() as u64 <= stream.bytes);
        assert_eq!(stream.truncated, stream.bytes > stream.text.len() as u64);
    }
    assert!(record.stdout.text.len() as u64 <= record.limits.stdout.0);
    assert!(record.stderr.text.len() as u64 <= record.limits.stderr.0);
    assert!(record.peak_memory_bytes <= record.limits.memory.0);
    assert!(record.fuel_used <= record.limits.fuel);
    match record.verdict {
        Verdict::Ok => assert_eq!(record.exit_code, Some(0)),
        Verdict::Exit => assert!(matches!(record.exit_code, Some(c) if c != 0)),
        // The final disk check runs after the guest exited, so its code may be kept.
        Verdict::DiskLimit => {}
        _ => assert_eq!(record.exit_code, None),
    }
    assert_eq!(record.trap.is_some(), record.verdict == Verdict::Trap);
}

/// Asserts a verdict, printing the whole record when it is not the expected one.
#[track_caller]
pub fn expect_verdict(record: &RunRecord, verdict: Verdict) {
    assert_eq!(
        record.verdict, verdict,
        "expected verdict {verdict}, got {}: {record:#?}",
        record.verdict
    );
}

/// The stdout of a run as lines.
pub fn lines(record: &RunRecord) -> Vec<&str> {
    record.stdout.text.lines().collect()
}

/// `key=value` lines of a guest's stdout as a map (the probes print this form).
pub fn keyed(record: &RunRecord) -> BTreeMap<String, String> {
    record
        .stdout
        .text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------
// C guests

struct WasiToolchain {
    target: &'static str,
    sysroot: PathBuf,
}

/// Finds clang and a wasi-libc sysroot. Debian bookworm's wasi-libc installs under `/usr`
/// (`/usr/include/wasm32-wasi`, `/usr/lib/wasm32-wasi`); newer packages and wasi-sdk use
/// `/usr/share/wasi-sysroot` and may name the target `wasm32-wasip1`.
fn toolchain() -> &'static WasiToolchain {
    static FOUND: OnceLock<WasiToolchain> = OnceLock::new();
    FOUND.get_or_init(|| {
        if Command::new("clang").arg("--version").output().is_err() {
            panic!(
                "clang is not installed: the C test guests need it. On Debian/Ubuntu run\n  \
                 sudo apt-get install {APT_PACKAGES}"
            );
        }
        let sysroots = [PathBuf::from("/usr/share/wasi-sysroot"), PathBuf::from("/usr")];
        for target in ["wasm32-wasip1", "wasm32-wasi"] {
            for sysroot in &sysroots {
                let include = sysroot.join("include").join(target).join("stdio.h");
                let lib = sysroot.join("lib").join(target).join("libc.a");
                if include.is_file() && lib.is_file() {
                    return WasiToolchain {
                        target,
                        sysroot: sysroot.clone(),
                    };
                }
            }
        }
        panic!(
            "no wasi-libc sysroot found (looked for include/wasm32-wasi{{p1,}}/stdio.h under \
             /usr/share/wasi-sysroot and /usr). On Debian/Ubuntu run\n  sudo apt-get install {APT_PACKAGES}"
        );
    })
}

fn guest_cache() -> PathBuf {
    let dir = target_dir().join("test-guests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds `out` with `command` unless it exists; the result is renamed into place whole, so
/// tests racing to build the same guest never see half a file.
fn build_once(out: &Path, what: &str, mut command: Command, tmp: &Path) {
    if out.is_file() {
        return;
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run the compiler for {what}: {e}"));
    if !output.status.success() {
        let _ = std::fs::remove_file(tmp);
        panic!(
            "compiling {what} failed ({}):\n{}\nIf the toolchain is incomplete, on Debian/Ubuntu run\n  \
             sudo apt-get install {APT_PACKAGES}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::rename(tmp, out).unwrap();
}

fn unique_tmp(dir: &Path, stem: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{stem}.{}.{n}.tmp", std::process::id()))
}

const WASM_FLAGS: &[&str] = &["-O2", "-Wall"];

/// `tests/guests/NAME.c` compiled to wasm32-wasip1; cached by the source's sha256.
pub fn c_guest(name: &str) -> PathBuf {
    let source = guest_path(&format!("{name}.c"));
    let text =
        std::fs::read(&source).unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    let tc = toolchain();
    let mut key = text.clone();
    key.extend_from_slice(
        format!("\n{} {} {WASM_FLAGS:?}", tc.target, tc.sysroot.display()).as_bytes(),
    );
    let dir = guest_cache();
    let out = dir.join(format!("{}.wasm", sha256_hex(&key)));
    let tmp = unique_tmp(&dir, name);
    let mut command = Command::new("clang");
    command
        .arg(format!("--target={}", tc.target))
        .arg(format!("--sysroot={}", tc.sysroot.display()))
        .args(WASM_FLAGS)
        .arg(&source)
        .arg("-o")
        .arg(&tmp);
    build_once(&out, &format!("{name}.c to wasm"), command, &tmp);
    out
}

/// The same guest compiled natively with `cc -O2`, for comparisons and benchmarks.
pub fn c_native(name: &str) -> PathBuf {
    let source = guest_path(&format!("{name}.c"));
    let text = std::fs::read(&source).unwrap();
    let dir = guest_cache();
    let out = dir.join(format!("{}.native", sha256_hex(&text)));
    let tmp = unique_tmp(&dir, name);
    let mut command = Command::new("cc");
    command
        .arg("-O2")
        .arg(&source)
        .arg("-o")
        .arg(&tmp)
        .arg("-lm");
    build_once(&out, &format!("{name}.c natively"), command, &tmp);
    out
}

// ---------------------------------------------------------------------------------------
// Host folders

/// Everything about a folder tree that a guest could change: names, kinds, sizes, contents,
/// modes, link counts, inode numbers and modification times. Links are not followed.
pub fn snapshot_tree(root: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let content = if meta.file_type().is_symlink() {
                format!("link->{}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                pending.push(path.clone());
                "dir".to_string()
            } else {
                sha256_hex(&std::fs::read(&path).unwrap())
            };
            found.insert(
                rel,
                format!(
                    "{content} len={} mode={:o} nlink={} ino={} mtime={}.{}",
                    meta.len(),
                    meta.mode(),
                    meta.nlink(),
                    meta.ino(),
                    meta.mtime(),
                    meta.mtime_nsec()
                ),
            );
        }
    }
    let meta = std::fs::metadata(root).unwrap();
    found.insert(
        ".".into(),
        format!(
            "mode={:o} mtime={}.{}",
            meta.mode(),
            meta.mtime(),
            meta.mtime_nsec()
        ),
    );
    found
}

/// Writes `files` (relative path, content) under `root`, making folders as needed.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (rel, content) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(content.as_bytes()).unwrap();
    }
}

/// Total size and number of entries below `root`, not following links.
pub fn tree_usage(root: &Path) -> (u64, u64) {
    let (mut bytes, mut entries) = (0, 0);
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            entries += 1;
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                bytes += meta.len();
            }
        }
    }
    (bytes, entries)
}

// ---------------------------------------------------------------------------------------
// Generated guests

/// A guest that writes 64 KiB chunks of `x` to `fd`: `chunks` times then exits 0, or forever.
/// A write that returns an error ends it with exit code 1.
pub fn flood_wat(fd: u32, chunks: Option<u64>) -> String {
    let check = match chunks {
        Some(_) => "(br_if $done (i64.eqz (local.get $left)))",
        None => "",
    };
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  (func (export "_start")
    (local $left i64)
    (local.set $left (i64.const {chunks}))
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (block $done
      (loop $again
        {check}
        (if (call $fd_write (i32.const {fd}) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $exit (i32.const 1))))
        (local.set $left (i64.sub (local.get $left) (i64.const 1)))
        br $again))))
"#,
        chunks = chunks.unwrap_or(0),
    )
}

/// A command module whose `_start` runs `body` (WAT instructions), with one page of memory,
/// a function table of `table` null entries, a type `$v` for `() -> ()` and `$ii` for
/// `(i32) -> i32`, and a function `$id` of type `$ii` in the table's first slot when
/// `table > 0`.
pub fn start_wat(body: &str, table: u32) -> String {
    let elem = if table > 0 {
        "(elem (i32.const 0) func $id)"
    } else {
        ""
    };
    format!(
        r#"(module
  (type $v (func))
  (type $ii (func (param i32) (result i32)))
  (tag $boom (param i32))
  (memory (export "memory") 1)
  (table {table} funcref)
  {elem}
  (func $id (type $ii) local.get 0)
  (func (export "_start")
    {body}))
"#
    )
}

/// Copies the files and folders below `from` into `to` (made if missing).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A path inside the repository.
pub fn repo(path: &str) -> PathBuf {
    manifest_dir().join(path)
}

/// Runs `takehome ARGS` with `root` as the working folder (and no inherited workspace).
pub fn cli(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args(args)
        .current_dir(root)
        .env_remove("TAKEHOME_WORKSPACE")
        .output()
        .unwrap()
}

/// Like [`cli`], failing the test unless the command succeeds; returns its stdout.
pub fn cli_ok(root: &Path, args: &[&str]) -> String {
    let out = cli(root, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `takehome evaluate --all --jobs 2 --json` in the workspace `root`, parsed: one object per
/// submission, `{"submission": ID, "evaluation": {...}}`.
pub fn evaluate_all(root: &Path) -> Vec<serde_json::Value> {
    let out = cli(root, &["evaluate", "--all", "--jobs", "2", "--json"]);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The evaluation of submission `id` among [`evaluate_all`]'s results.
pub fn evaluation_of<'a>(results: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    &results
        .iter()
        .find(|r| r["submission"] == id)
        .unwrap_or_else(|| panic!("no {id} in {results:?}"))["evaluation"]
}

/// The pseudonym in `takehome issue`'s output ("issued ... as C-7F3K").
pub fn issued_pseudonym(out: &str) -> String {
    let pseudonym = out
        .split_whitespace()
        .skip_while(|w| *w != "as")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(
        pseudonym.starts_with("C-") && pseudonym.len() >= 6,
        "no pseudonym in {out:?}"
    );
    pseudonym
}

/// A churn submission folder `script` in `dir` whose entry point is `main_py`.
pub fn script_submission(dir: &Path, main_py: &str) -> std::path::PathBuf {
    let folder = dir.join("script");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("main.py"), main_py).unwrap();
    std::fs::write(folder.join("REPORT.md"), "# Method\n\nA script.\n").unwrap();
    std::fs::write(
        folder.join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    folder
}

/// A copy of `assignments/churn-boosted` (without examples) under `dir`, named `id`, whose
/// `[runner]` table is `runner` (limits kept).
pub fn churn_with_runner(dir: &Path, id: &str, runner: &str) -> PathBuf {
    let folder = dir.join(id);
    copy_tree(&repo("assignments/churn-boosted"), &folder);
    std::fs::remove_dir_all(folder.join("examples")).unwrap();
    let path = folder.join("assignment.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    let start = toml.find("[runner]\n").unwrap();
    let end = toml.find("[runner.limits]").unwrap();
    let toml = format!("{}{runner}\n\n{}", &toml[..start], &toml[end..]).replacen(
        "id = \"churn-boosted\"",
        &format!("id = \"{id}\""),
        1,
    );
    std::fs::write(&path, toml).unwrap();
    folder
}

/// Issues `assignment` and submits `folder`; returns the pseudonym.
pub fn issue_and_submit(root: &Path, assignment: &str, who: &str, folder: &Path) -> String {
    let out = cli_ok(
        root,
        &[
            "issue",
            assignment,
            "--candidate",
            &format!("{who} <{who}@example.org>"),
        ],
    );
    let pseudonym = issued_pseudonym(&out);
    cli_ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    pseudonym
}
