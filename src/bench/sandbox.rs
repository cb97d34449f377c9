//! Sandbox figures: instantiate + run of a trivial module, a compute-bound C program against
//! its native build, and what fuel metering costs.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{Row, format_duration, median, percentile, print_table, time_median};
use crate::sandbox::{RunSpec, Sandbox, Verdict};

const COMPUTE_C: &str = include_str!("compute.c");
const TRIVIAL: &str = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;

pub fn sandbox(iterations: usize) -> anyhow::Result<()> {
    let cache = tempfile::tempdir()?;
    let metered = Sandbox::new(Some(cache.path().to_path_buf()))?;
    let unmetered = Sandbox::without_fuel(Some(cache.path().to_path_buf()))?;
    let spec = RunSpec::default();
    let mut rows = Vec::new();

    let trivial = metered
        .load(TRIVIAL.as_bytes(), &spec.limits)
        .map_err(|r| anyhow::anyhow!(r.message))?;
    metered.run(&trivial, &spec);
    let mut times = Vec::with_capacity(iterations * 10);
    for _ in 0..iterations * 10 {
        let started = Instant::now();
        let record = metered.run(&trivial, &spec);
        times.push(started.elapsed());
        anyhow::ensure!(
            record.verdict == Verdict::Ok,
            "trivial module: {}",
            record.message
        );
    }
    let p95 = percentile(&mut times, 0.95);
    rows.push(Row {
        what: "trivial module: instantiate + run, compiled module cached (in process)".into(),
        median: median(&mut times),
        note: format!("p95 {}, {} runs", format_duration(p95), times.len()),
    });

    let work = tempfile::tempdir()?;
    let (native, wasm) = build_compute(work.path())?;
    let native_time = time_median(iterations, || {
        let out = Command::new(&native).output()?;
        anyhow::ensure!(out.status.success(), "native compute failed");
        Ok(())
    })?;
    let expected = String::from_utf8(Command::new(&native).output()?.stdout)?;
    let bytes = std::fs::read(&wasm)?;
    let mut fuel_spec = spec.clone();
    fuel_spec.limits.fuel = 100_000_000_000;
    fuel_spec.limits.wall = Duration::from_secs(120);
    let sandbox_time = |sandbox: &Sandbox| -> anyhow::Result<Duration> {
        let module = sandbox
            .load(&bytes, &fuel_spec.limits)
            .map_err(|r| anyhow::anyhow!(r.message))?;
        time_median(iterations, || {
            let record = sandbox.run(&module, &fuel_spec);
            anyhow::ensure!(
                record.stdout.text == expected,
                "wasm compute printed {:?}",
                record.stdout.text
            );
            Ok(())
        })
    };
    let with_fuel = sandbox_time(&metered)?;
    let without_fuel = sandbox_time(&unmetered)?;
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
    rows.push(Row {
        what: "same program in the sandbox, no fuel metering".into(),
        median: without_fuel,
        note: format!(
            "{:.2}x native; fuel costs {:.0}%",
            ratio(without_fuel, native_time),
            (ratio(with_fuel, without_fuel) - 1.0) * 100.0
        ),
    });
    print_table("Sandbox", &rows);
    Ok(())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

fn build_compute(dir: &Path) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
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
