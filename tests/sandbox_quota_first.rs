//! The quota decides before the host acts, and invalid calls get stock wasmtime-wasi's answer
//! first.
//!
//! - Every hostile way of growing a file past the quota (seek then write, write at an offset,
//!   truncate, allocate, one huge write, a flood) is run through `takehome run` while the
//!   harness itself is under a 1 GiB file-size limit (`RLIMIT_FSIZE`, as `ulimit -f` sets):
//!   had the host made the file first, the kernel would kill the harness with `SIGXFSZ` and
//!   leave no record. Each run must end `disk_limit`, with a record, and nothing in the
//!   output folder over the quota.
//! - A guest of invalid calls (closed descriptors, folders, read-only files, poll
//!   subscriptions, clock ids) runs in the sandbox and under stock wasmtime-wasi, and must
//!   print the same answers.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use support::*;
use takehome::sandbox::{RunRecord, Verdict};

const FILE_SIZE_LIMIT: u64 = 1 << 30;

/// `takehome run GUEST --json FLAGS` with the harness under a 1 GiB file-size limit.
fn run_under_file_size_limit(guest: &Path, flags: &[&str]) -> RunRecord {
    let mut command = Command::new(env!("CARGO_BIN_EXE_takehome"));
    command
        .arg("run")
        .arg(guest)
        .arg("--json")
        .args(flags)
        .env("TAKEHOME_CACHE", shared_cache())
        .env_remove("RUST_LOG");
    // SAFETY: only setrlimit, async-signal-safe, runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FILE_SIZE_LIMIT as libc::rlim_t,
                rlim_max: FILE_SIZE_LIMIT as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = command.output().expect("cannot start takehome");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "takehome run did not survive: {} (a file-size limit kills with SIGXFSZ, signal {})\n{stderr}",
        output.status,
        libc::SIGXFSZ
    );
    let record: RunRecord = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no record ({e}):\n{stderr}"));
    check_record(&record);
    record
}

/// Every file below `dir` with its apparent size.
fn sizes(dir: &Path) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                found.push((entry.path().display().to_string(), meta.len()));
            }
        }
    }
    found
}

#[test]
fn hostile_writes_are_refused_before_the_host_acts_under_a_file_size_limit() {
    let guest = c_guest("diskflood");
    for mode in ["seek", "pwrite", "truncate", "allocate", "hugewrite", "big"] {
        let dir = tempdir();
        let out = dir.path().join("out");
        let out_flag = out.display().to_string();
        let record = run_under_file_size_limit(
            &guest,
            &["--out", &out_flag, "--out-limit", "1MiB", "--", mode],
        );
        expect_verdict(&record, Verdict::DiskLimit);
        assert!(
            record.message.contains("1048576"),
            "{mode}: {}",
            record.message
        );
        // The guest never saw the call fail and never went on: it was stopped there.
        assert!(
            !record.stdout.text.contains("made a") && !record.stderr.text.contains(':'),
            "{mode}: the guest ran on: {}{}",
            record.stdout.text,
            record.stderr.text
        );
        for (path, bytes) in sizes(&out) {
            assert!(
                bytes <= 1 << 20,
                "{mode}: {path} is {bytes} bytes on the host"
            );
        }
        for output in &record.outputs {
            assert!(output.bytes <= 1 << 20, "{mode}: {output:?}");
        }
    }
}

/// The guest's stdout under stock wasmtime-wasi, configured as the sandbox configures it
/// (blocking allowed on the calling thread), with `/data` read-only and `/out` writable.
fn stock_stdout(guest: &Path, data: &Path, out: &Path) -> String {
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
    use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::from_file(&engine, guest).unwrap();
    let stdout = MemoryOutputPipe::new(1 << 20);
    let mut builder = WasiCtxBuilder::new();
    builder
        .stdout(stdout.clone())
        .allow_blocking_current_thread(true)
        .preopened_dir(data, "/data", FsPerms::ReadOnly)
        .unwrap()
        .preopened_dir(out, "/out", FsPerms::ReadWrite)
        .unwrap();
    let mut store = wasmtime::Store::new(&engine, builder.build_p1());
    let mut linker = wasmtime::Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    if let Err(e) = start.call(&mut store, ()) {
        let exit = e.downcast_ref::<wasmtime_wasi::I32Exit>().map(|e| e.0);
        assert_eq!(
            exit,
            Some(0),
            "the guest failed under stock wasmtime-wasi: {e:?}"
        );
    }
    drop(store);
    String::from_utf8(stdout.contents().to_vec()).unwrap()
}

#[test]
fn invalid_calls_get_stock_answers_before_any_quota_decision() {
    let guest = c_guest("invalid_calls");
    let dir = tempdir();
    write_files(dir.path(), &[("data/a.txt", "alpha\n")]);
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let mount = format!("/data={}", data.display());
    let out_flag = out.display().to_string();
    // A quota far smaller than the 100 MiB writes: only validity may decide them.
    let record = run(
        &guest,
        &["--mount", &mount, "--out", &out_flag, "--out-limit", "1MiB"],
    );
    expect_verdict(&record, Verdict::Ok);
    let stock = stock_stdout(&guest, &data, &out);
    assert_eq!(lines(&record), stock.lines().collect::<Vec<_>>());
    let answers = keyed(&record);
    let errno = |name: &str| answers[name].split(' ').next().unwrap().to_string();
    // EBADF (8) for what has no descriptor or is not a file, whatever the size asked.
    for name in [
        "write_closed",
        "pwrite_closed",
        "allocate_closed",
        "set_size_closed",
        "write_dir",
        "allocate_dir",
        "set_size_dir",
        "poll_read_closed",
        "poll_write_closed",
        "poll_read_stdout",
        "poll_read_dir",
        "clock_res_get_2",
        "clock_time_get_2",
        "clock_res_get_3",
        "clock_time_get_3",
    ] {
        assert_eq!(errno(name), "8", "{name}: {}", answers[name]);
    }
    assert!(answers["poll_read_closed"].contains("nevents_untouched=1"));
    assert_eq!(errno("poll_clock_2_pair"), "28");
    assert_eq!(sizes(&out), []);
}
