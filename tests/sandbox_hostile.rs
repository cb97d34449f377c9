//! Hostile guests against the sandbox, through `takehome run --json`: runaway CPU, memory
//! and output, every trap, odd exit codes.
//!
//! A note on `fuel_used`: when a run is stopped *inside* a wasm function by a memory.grow
//! denial or by the wall-clock limit, wasmtime has not yet written back the fuel that
//! function consumed, so `fuel_used` undercounts for those verdicts. These tests assert exact
//! fuel only for runs that end normally (or by running out of fuel).
//!
//! Files: bad imports and bad, oversized or expensive modules are in `sandbox_modules.rs`,
//! the filesystem cases in `sandbox_fs.rs`, determinism and concurrency in
//! `sandbox_determinism.rs`.

mod support;

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;
use takehome::sandbox::{Limits, RunSpec, Sandbox, Verdict};

#[test]
fn spin_in_start_function_is_time_limit() {
    // The fuel budget is effectively unlimited, so only the wall clock can stop it; and it
    // spins during instantiation, before any export could be called.
    let record = run(
        &guest_wat("spin_start"),
        &["--wall", "300ms", "--fuel", "1000000000000000"],
    );
    expect_verdict(&record, Verdict::TimeLimit);
    assert!(record.message.contains("300ms"), "{}", record.message);
    assert!(
        (300..5000).contains(&record.wall_ms),
        "wall_ms {}",
        record.wall_ms
    );
}

#[test]
fn spin_loop_is_time_limit() {
    let record = run(
        &guest_wat("spin"),
        &["--wall", "300ms", "--fuel", "1000000000000000"],
    );
    expect_verdict(&record, Verdict::TimeLimit);
    assert!(
        (300..5000).contains(&record.wall_ms),
        "wall_ms {}",
        record.wall_ms
    );
}

#[test]
fn spin_loop_with_small_fuel_is_fuel_limit() {
    let record = run(&guest_wat("spin"), &["--fuel", "1000000", "--wall", "10s"]);
    expect_verdict(&record, Verdict::FuelLimit);
    // Running out of fuel is exact: the whole budget was used.
    assert_eq!(record.fuel_used, 1_000_000);
    assert!(record.wall_ms < 5000);
}

#[test]
fn memory_grow_loop_is_memory_limit() {
    let record = run(&guest_wat("grow"), &["--memory", "16MiB", "--wall", "10s"]);
    expect_verdict(&record, Verdict::MemoryLimit);
    assert!(record.message.contains("16777216"), "{}", record.message);
    // It got as far as the cap allows (1 MiB steps from 64 KiB), never further.
    assert!(record.peak_memory_bytes <= 16 << 20);
    assert!(
        record.peak_memory_bytes > 15 << 20,
        "{}",
        record.peak_memory_bytes
    );
    // fuel_used is not asserted: see the note at the top of this file.
}

#[test]
fn huge_initial_memory_is_memory_limit() {
    // 60000 pages is 3.7 GiB, refused at instantiation, before the guest runs at all.
    let record = run(&guest_wat("huge_memory"), &[]);
    expect_verdict(&record, Verdict::MemoryLimit);
    assert!(record.message.contains("3932160000"), "{}", record.message);
    assert_eq!(record.peak_memory_bytes, 0);
    assert_eq!(record.fuel_used, 0);
}

#[test]
fn deep_recursion_is_stack_overflow_trap() {
    let record = run(&guest_wat("recursion"), &[]);
    expect_verdict(&record, Verdict::Trap);
    assert_eq!(record.trap.as_deref(), Some("stack_overflow"));
    assert!(
        record.message.contains("stack_overflow"),
        "{}",
        record.message
    );
}

#[test]
fn each_trap_kind_is_named() {
    // (expected trap name, _start body, table size)
    let cases: &[(&str, &str, u32)] = &[
        ("unreachable", "unreachable", 0),
        (
            "memory_out_of_bounds",
            "(drop (i32.load (i32.const 65534)))",
            0,
        ),
        (
            "memory_out_of_bounds",
            "(i64.store (i32.const -8) (i64.const 1))",
            0,
        ),
        (
            "memory_out_of_bounds",
            "(memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000))",
            0,
        ),
        (
            "integer_divide_by_zero",
            "(drop (i32.div_u (i32.const 1) (i32.const 0)))",
            0,
        ),
        (
            "integer_divide_by_zero",
            "(drop (i64.rem_s (i64.const 1) (i64.const 0)))",
            0,
        ),
        (
            "integer_overflow",
            "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))",
            0,
        ),
        (
            "integer_overflow",
            "(drop (i32.trunc_f64_s (f64.const 1e30)))",
            0,
        ),
        (
            "bad_conversion_to_integer",
            "(drop (i32.trunc_f32_s (f32.const nan)))",
            0,
        ),
        (
            "indirect_call_to_null",
            "(drop (call_indirect (type $ii) (i32.const 7) (i32.const 1)))",
            2,
        ),
        (
            "table_out_of_bounds",
            "(drop (call_indirect (type $ii) (i32.const 7) (i32.const 5)))",
            1,
        ),
        (
            "table_out_of_bounds",
            "(drop (table.get 0 (i32.const 9)))",
            1,
        ),
        (
            "bad_signature",
            "(call_indirect (type $v) (i32.const 0))",
            1,
        ),
        ("unhandled_exception", "(throw $boom (i32.const 42))", 0),
    ];
    let dir = tempdir();
    let mut failures = Vec::new();
    for (i, (name, body, table)) in cases.iter().enumerate() {
        let module = wat_file(dir.path(), &format!("trap{i}"), &start_wat(body, *table));
        let record = run(&module, &[]);
        let ok = record.verdict == Verdict::Trap
            && record.trap.as_deref() == Some(*name)
            && record.message.contains(name);
        if !ok {
            failures.push(format!(
                "{body}: expected trap {name}, got verdict {} trap {:?}: {}",
                record.verdict, record.trap, record.message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn exit_codes_are_reported() {
    let module = c_guest("exit_code");
    for code in [0, 3, 125, 126, 200, 255] {
        for how in ["exit", "return"] {
            let record = run(&module, &["--", &code.to_string(), how]);
            let want = if code == 0 {
                Verdict::Ok
            } else {
                Verdict::Exit
            };
            assert_eq!(
                (record.verdict, record.exit_code),
                (want, Some(code)),
                "{how}({code}): {record:#?}"
            );
            assert_eq!(record.stdout.text, format!("exiting with {code}\n"));
            assert_eq!(record.message, format!("exited with code {code}"));
        }
    }
    // The same through a bare proc_exit call.
    let record = run(&guest_wat("proc_exit_200"), &[]);
    expect_verdict(&record, Verdict::Exit);
    assert_eq!(record.exit_code, Some(200));
}

#[test]
fn normal_exit_reports_exact_fuel_every_time() {
    let module = c_guest("exit_code");
    let a = run(&module, &["--", "3"]);
    let b = run(&module, &["--", "3"]);
    assert!(a.fuel_used > 0);
    assert_eq!(a.fuel_used, b.fuel_used);
    // With exactly that much fuel it still finishes, and reports the same count.
    let exact = a.fuel_used.to_string();
    let record = run(&module, &["--fuel", &exact, "--", "3"]);
    expect_verdict(&record, Verdict::Exit);
    assert_eq!(record.fuel_used, a.fuel_used);
    // With much less it cannot. (Not "one unit less": wasmtime checks fuel at function
    // entries and loop heads only, so the last straight-line stretch before proc_exit may
    // overdraw the budget without a check noticing; the record then shows the whole budget.)
    let short = (a.fuel_used / 2).to_string();
    let record = run(&module, &["--fuel", &short, "--", "3"]);
    expect_verdict(&record, Verdict::FuelLimit);
    assert_eq!(record.fuel_used, a.fuel_used / 2);
    assert_eq!(record.stdout.bytes, 0);
}

#[test]
fn stdout_flood_is_output_limit() {
    let dir = tempdir();
    let module = wat_file(dir.path(), "flood", &flood_wat(1, None));
    let record = run(&module, &["--stdout-limit", "64KiB", "--wall", "10s"]);
    expect_verdict(&record, Verdict::OutputLimit);
    assert!(record.message.contains("65536"), "{}", record.message);
    assert_eq!(record.stdout.text.len(), 65536);
    assert!(record.stdout.text.bytes().all(|b| b == b'x'));
    assert!(record.stdout.truncated);
    // It was stopped at the first write past the cap, not left to run on. (wasmtime-wasi
    // hands a large write to the stream in pieces; the first piece past the cap stops it.)
    assert!(
        record.stdout.bytes > 65536 && record.stdout.bytes <= 2 * 65536,
        "{}",
        record.stdout.bytes
    );
    assert_eq!(
        record.stdout.sha256,
        sha256_hex(record.stdout.text.as_bytes())
    );
}

#[test]
fn stderr_flood_is_truncated_not_a_verdict() {
    let dir = tempdir();
    let module = wat_file(dir.path(), "flood", &flood_wat(2, Some(64)));
    let record = run(&module, &["--stderr-limit", "100KiB"]);
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(record.stderr.bytes, 64 * 65536);
    assert_eq!(record.stderr.text.len(), 100 << 10);
    assert!(record.stderr.truncated);
    assert_eq!(record.stdout.bytes, 0);
}

#[test]
fn harness_memory_stays_bounded_on_flood() {
    // 1 GiB on stderr, and stdout written to without end, with the default 1 MiB caps: the
    // record keeps the caps' worth, and the harness process never holds the flood.
    let dir = tempdir();
    let cases = [
        ("stderr", flood_wat(2, Some(16384)), Verdict::Ok),
        ("stdout", flood_wat(1, None), Verdict::OutputLimit),
    ];
    for (stream, wat, verdict) in cases {
        let module = wat_file(dir.path(), stream, &wat);
        let (json, max_rss) = run_measuring_rss(&module);
        let record: takehome::sandbox::RunRecord = serde_json::from_slice(&json).unwrap();
        check_record(&record);
        expect_verdict(&record, verdict);
        let kept = match stream {
            "stderr" => &record.stderr,
            _ => &record.stdout,
        };
        assert_eq!(kept.text.len(), 1 << 20, "{stream}");
        assert!(kept.truncated);
        if stream == "stderr" {
            assert_eq!(kept.bytes, 1 << 30);
        }
        assert!(
            max_rss < 200 << 20,
            "{stream} flood: the harness peaked at {} MiB",
            max_rss >> 20
        );
    }
}

/// Runs `takehome run MODULE --json` and returns its stdout and its peak resident set size
/// in bytes, from the kernel's accounting of the child.
#[allow(clippy::zombie_processes)] // reaped by wait4, which also reports its peak memory
fn run_measuring_rss(module: &std::path::Path) -> (Vec<u8>, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .arg("run")
        .arg(module)
        .arg("--json")
        .env("TAKEHOME_CACHE", shared_cache())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut json = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut json).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value to be filled in by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = loop {
        // SAFETY: waits for our own child, whose pid `Child` has not reaped.
        let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
        if pid != -1 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            break pid;
        }
    };
    assert_eq!(
        pid,
        child.id() as i32,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    let status = std::process::ExitStatus::from_raw(status);
    assert!(status.success(), "takehome exited with {status}");
    (json, usage.ru_maxrss as u64 * 1024)
}

#[test]
fn no_verdict_is_internal() {
    // Every WAT guest in tests/guests, plus generated floods and traps, in-process under
    // tight limits: whatever they do, the harness records a verdict of the guest's making.
    let sandbox = Sandbox::new(None).unwrap();
    let spec = RunSpec {
        limits: Limits {
            wall: Duration::from_millis(300),
            memory: takehome::sandbox::Bytes(16 << 20),
            stdout: takehome::sandbox::Bytes(64 << 10),
            stderr: takehome::sandbox::Bytes(64 << 10),
            ..Limits::default()
        },
        ..RunSpec::default()
    };
    let mut modules: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(guest_path("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension() == Some(OsStr::new("wat")) {
            modules.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(modules.len() >= 8, "{modules:?}");
    modules.push(("stdout flood".into(), flood_wat(1, None).into_bytes()));
    modules.push(("stderr flood".into(), flood_wat(2, Some(8)).into_bytes()));
    modules.push(("bad fd flood".into(), flood_wat(99, Some(8)).into_bytes()));
    for body in [
        "unreachable",
        "(throw $boom (i32.const 1))",
        "(call_indirect (type $v) (i32.const 0))",
    ] {
        modules.push((body.into(), start_wat(body, 1).into_bytes()));
    }
    modules.push(("garbage".into(), vec![0xff; 100]));
    modules.push((
        "no _start".into(),
        b"(module (memory (export \"memory\") 1))".to_vec(),
    ));
    modules.push((
        "no memory".into(),
        b"(module (func (export \"_start\")))".to_vec(),
    ));
    for (name, bytes) in modules {
        let record = sandbox.run_bytes(&bytes, &spec);
        assert_ne!(record.verdict, Verdict::Internal, "{name}: {record:#?}");
        check_record(&record);
    }
}
