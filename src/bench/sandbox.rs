//! Sandbox figures: instantiate + run of a trivial module, writes measured by the quota,
//! compiling in the compile child, a compute-bound C program against its native build, and
//! what fuel metering costs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{Row, format_duration, median, percentile, print_table, time_median};
use crate::sandbox::{EngineVariant, Mount, RunSpec, Sandbox, Verdict};

const COMPUTE_C: &str = include_str!("compute.c");
const TRIVIAL: &str = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;

/// Writes 16 MiB to `/out/f` in 4 KiB writes (preopen 3 is `/out`).
const WRITES: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "f")
  (func (export "_start") (local $i i32) (local $fd i32)
    (i32.store (i32.const 16) (i32.const 1024))
    (i32.store (i32.const 20) (i32.const 4096))
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 9)
      (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8)))
    (local.set $fd (i32.load (i32.const 8)))
    (loop $each
      (drop (call $write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 32)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 4096))))))"#;

pub fn sandbox(iterations: usize) -> anyhow::Result<()> {
    let cache = tempfile::tempdir()?;
    let metered = Sandbox::new(Some(cache.path().to_path_buf()))?;
    let mut rows = Vec::new();

    let (median, p95, runs) = trivial_runs(&metered, iterations)?;
    rows.push(Row {
        what: "trivial module: instantiate + run, compiled module cached (in process)".into(),
        median,
        note: format!("p95 {}, {runs} runs", format_duration(p95)),
    });

    rows.push(quota_measured_writes(&metered, iterations)?);
    rows.push(compile_in_child(&metered, iterations)?);

    let compute = Compute::build()?;
    let native_time = compute.native(iterations)?;
    let with_fuel = compute.in_sandbox(&metered, iterations)?;
    rows.push(Row {
        what: "compute-bound C program, native (whole process)".into(),
        median: native_time,
        note: "cc -O2".into(),
    });
    rows.push(Row {
        what: "same program in the sandbox, fuel metered (in process)".into(),
        median: with_fuel,
        note: format!("{:.2}x native", ratio(with_fuel, native_time)),
    });
    // Each departure from the standard settings alone: what it would give.
    for &variant in &EngineVariant::ALL[1..] {
        let sandbox = Sandbox::with_variant(Some(cache.path().to_path_buf()), variant)?;
        let time = compute.in_sandbox(&sandbox, iterations)?;
        rows.push(Row {
            what: format!("same program, engine `{}`", variant.as_str()),
            median: time,
            note: format!(
                "{:.2}x native; {:+.1}% against the standard settings",
                ratio(time, native_time),
                (ratio(time, with_fuel) - 1.0) * 100.0
            ),
        });
    }
    print_table("Sandbox", &rows);
    Ok(())
}

/// Instantiate + run of a trivial module whose compiled form is cached, ten times
/// `iterations` in this process: the median, the 95th percentile and how many runs.
pub(super) fn trivial_runs(
    sandbox: &Sandbox,
    iterations: usize,
) -> anyhow::Result<(Duration, Duration, usize)> {
    let spec = RunSpec::default();
    let trivial = sandbox
        .load(TRIVIAL.as_bytes(), &spec.limits)
        .map_err(|r| anyhow::anyhow!(r.message))?;
    sandbox.run(&trivial, &spec);
    let mut times = Vec::with_capacity(iterations * 10);
    for _ in 0..iterations * 10 {
        let started = Instant::now();
        let record = sandbox.run(&trivial, &spec);
        times.push(started.elapsed());
        anyhow::ensure!(
            record.verdict == Verdict::Ok,
            "trivial module: {}",
            record.message
        );
    }
    let p95 = percentile(&mut times, 0.95);
    Ok((median(&mut times), p95, times.len()))
}

/// `compute.c` built natively (`cc -O2`) and to wasm32-wasi (clang `-O2`), with what the
/// native build prints, which the sandboxed build must print too.
pub(super) struct Compute {
    _dir: tempfile::TempDir,
    native: PathBuf,
    wasm: Vec<u8>,
    expected: String,
}

impl Compute {
    pub(super) fn build() -> anyhow::Result<Compute> {
        let dir = tempfile::tempdir()?;
        let (native, wasm) = build_compute(dir.path())?;
        let expected = String::from_utf8(Command::new(&native).output()?.stdout)?;
        let wasm = std::fs::read(&wasm)?;
        Ok(Compute {
            _dir: dir,
            native,
            wasm,
            expected,
        })
    }

    /// The native build, whole process.
    pub(super) fn native(&self, iterations: usize) -> anyhow::Result<Duration> {
        time_median(iterations, || {
            let out = Command::new(&self.native).output()?;
            anyhow::ensure!(out.status.success(), "native compute failed");
            Ok(())
        })
    }

    /// The wasm build in `sandbox`, in process, compiled module cached.
    pub(super) fn in_sandbox(
        &self,
        sandbox: &Sandbox,
        iterations: usize,
    ) -> anyhow::Result<Duration> {
        let mut spec = RunSpec::default();
        spec.limits.fuel = 100_000_000_000;
        spec.limits.wall = Duration::from_secs(120);
        let module = sandbox
            .load(&self.wasm, &spec.limits)
            .map_err(|r| anyhow::anyhow!(r.message))?;
        time_median(iterations, || {
            let record = sandbox.run(&module, &spec);
            anyhow::ensure!(
                record.stdout.text == self.expected,
                "wasm compute printed {:?}",
                record.stdout.text
            );
            Ok(())
        })
    }
}

/// 4096 writes of 4 KiB into a writable folder, each measured against the quota first.
fn quota_measured_writes(sandbox: &Sandbox, iterations: usize) -> anyhow::Result<Row> {
    let out = tempfile::tempdir()?;
    let spec = RunSpec {
        mounts: vec![Mount {
            guest: "/out".into(),
            host: out.path().to_path_buf(),
            writable: true,
        }],
        out_dir: Some(out.path().to_path_buf()),
        ..RunSpec::default()
    };
    let module = sandbox
        .load(WRITES.as_bytes(), &spec.limits)
        .map_err(|r| anyhow::anyhow!(r.message))?;
    let median = time_median(iterations, || {
        let record = sandbox.run(&module, &spec);
        anyhow::ensure!(
            record.verdict == Verdict::Ok
                && record.outputs.first().map(|o| o.bytes) == Some(16 << 20),
            "writes: {} {:?}",
            record.message,
            record.outputs
        );
        Ok(())
    })?;
    Ok(Row {
        what:
            "16 MiB written to /out in 4 KiB writes, each measured by the quota first (in process)"
                .into(),
        median,
        note: format!("{} a write", format_duration(median / 4096)),
    })
}

/// Compiling a small module not yet cached: starting the compile child, compiling, loading.
fn compile_in_child(sandbox: &Sandbox, iterations: usize) -> anyhow::Result<Row> {
    let mut nonce = 0u32;
    let limits = RunSpec::default().limits;
    let median = time_median(iterations, || {
        nonce += 1;
        // A constant unique to this process and iteration: never in the cache.
        let text = format!(
            "(module (memory (export \"memory\") 1) (func (export \"_start\") (drop (i64.const {}))))",
            std::process::id() as u64 * 1_000_000 + u64::from(nonce)
        );
        sandbox
            .load(text.as_bytes(), &limits)
            .map_err(|r| anyhow::anyhow!(r.message))?;
        Ok(())
    })?;
    Ok(Row {
        what: "a trivial module not yet cached: compiled in the compile child, then loaded".into(),
        median,
        note: "process start, engine, compile, artifact load".into(),
    })
}

pub(super) fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

fn build_compute(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let source = dir.join("compute.c");
    std::fs::write(&source, COMPUTE_C)?;
    let native = dir.join("compute-native");
    let wasm = dir.join("compute.wasm");
    let status = Command::new("cc")
        .arg("-O2")
        .arg(&source)
        .arg("-o")
        .arg(&native)
        .status()
        .context("cannot run cc")?;
    if !status.success() {
        bail!("cc failed to build the native benchmark");
    }
    let status = Command::new("clang")
        .args(["--target=wasm32-wasi", "-O2"])
        .arg(&source)
        .arg("-o")
        .arg(&wasm)
        .status()
        .context("cannot run clang: install Debian's clang lld wasi-libc libclang-rt-dev-wasm32")?;
    if !status.success() {
        bail!(
            "clang failed to build the wasm benchmark: install Debian's clang lld wasi-libc libclang-rt-dev-wasm32"
        );
    }
    Ok((native, wasm))
}
