//! The sandbox called from inside an async runtime, as `demo`, `serve`, `worker` and
//! `evaluate` call it: guests (and snapshots) run on a thread of their own, never on the
//! runtime's, so wasmtime-wasi's synchronous calls cannot collide with it.

use takehome::sandbox::{Entry, RunSpec, Sandbox, Verdict};

/// A reactor that writes `hello` to stdout from `turn`, like the Python interpreter's `turn`.
const REACTOR: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (global $calls (mut i32) (i32.const 0))
  (func (export "host_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "turn") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.const 0)))
"#;

fn spec(source: &str) -> RunSpec {
    RunSpec {
        entry: Entry::Turn(source.into()),
        ..RunSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_is_built_from_inside_an_async_runtime() {
    let sandbox = Sandbox::new(None).unwrap();
    let wasm = wat::parse_str(REACTOR).unwrap();
    let snapshot = sandbox
        .build_snapshot(&wasm, &spec(""), "warm up", &|_| {})
        .unwrap();
    // The snapshot is itself a module that runs.
    let record = sandbox.run_bytes(&snapshot, &spec("again"));
    assert_eq!(record.verdict, Verdict::Ok, "{}", record.message);
    assert_eq!(record.stdout.text, "hello\n");
}

#[tokio::test(flavor = "current_thread")]
async fn a_guest_runs_from_a_single_threaded_runtime() {
    let sandbox = Sandbox::new(None).unwrap();
    let wasm = wat::parse_str(REACTOR).unwrap();
    let record = sandbox.run_bytes(&wasm, &spec("x"));
    assert_eq!(record.verdict, Verdict::Ok, "{}", record.message);
    assert_eq!(record.stdout.text, "hello\n");
}
