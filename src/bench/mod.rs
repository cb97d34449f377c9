//! `takehome bench`: the figures in the README, measured side by side in one run.
//! A benchmark reports; it never fails because a number is slow.

mod goals;
mod gvisor;
mod methodology;
mod notebook;
mod python;
mod queue;
mod sandbox;
mod web;

pub use goals::goals;
pub use gvisor::gvisor;
pub use methodology::methodology;
pub use notebook::{NATIVE_HELP, check_native, notebook};
pub use python::python;
pub use queue::queue;
pub use sandbox::sandbox;
pub use web::{WebLoad, web};

use std::time::Duration;

/// One measured row.
pub struct Row {
    pub what: String,
    pub median: Duration,
    pub note: String,
}

/// Prints rows as a Markdown table, ready for the README.
pub fn print_table(title: &str, rows: &[Row]) {
    println!("\n### {title}\n");
    println!("| what | median | note |");
    println!("|---|---:|---|");
    for row in rows {
        println!(
            "| {} | {} | {} |",
            row.what,
            format_duration(row.median),
            row.note
        );
    }
}

pub fn format_duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1_000 {
        format!("{micros} µs")
    } else if micros < 10_000_000 {
        format!("{:.1} ms", micros as f64 / 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// Median of timings (sorts in place).
pub fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

pub fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    let index = ((times.len() as f64 - 1.0) * p).round() as usize;
    times.get(index).copied().unwrap_or_default()
}

/// Times `f` `n` times and returns the median.
pub fn time_median(
    n: usize,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = std::time::Instant::now();
        f()?;
        times.push(started.elapsed());
    }
    Ok(median(&mut times))
}
