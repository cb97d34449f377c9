//! A run record as a few readable lines, for `takehome run`'s summary.

use super::{CellStatus, ClockMode, RunRecord};

/// A short human summary of a record, several lines.
pub fn summary(record: &RunRecord) -> String {
    use std::fmt::Write;
    let limits = &record.limits;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<8} {}: {}",
        "verdict", record.verdict, record.message
    );
    // Fuel counts WebAssembly instructions; a gVisor run has a CPU-time limit instead.
    match &record.gvisor {
        Some(gvisor) => {
            let _ = writeln!(out, "{:<8} {} s of CPU time", "cpu", gvisor.cpu_seconds);
        }
        None => {
            let _ = writeln!(
                out,
                "{:<8} {} of {}",
                "fuel",
                thousands(record.fuel_used),
                thousands(limits.fuel)
            );
        }
    }
    let clock = match record.clock {
        ClockMode::Virtual => "virtual clock",
        ClockMode::Real => "real clock",
    };
    let _ = writeln!(
        out,
        "{:<8} {} ms of {} ({clock})",
        "time",
        record.wall_ms,
        humantime::format_duration(limits.wall)
    );
    let _ = writeln!(
        out,
        "{:<8} {} peak of {}",
        "memory",
        crate::base::Bytes(record.peak_memory_bytes),
        limits.memory
    );
    for (name, stream) in [("stdout", &record.stdout), ("stderr", &record.stderr)] {
        let cut = if stream.truncated { " (truncated)" } else { "" };
        let _ = writeln!(out, "{name:<8} {} bytes{cut}", stream.bytes);
    }
    for file in &record.outputs {
        let hash = file
            .sha256
            .as_deref()
            .map(|h| &h[..12])
            .unwrap_or("(not read)");
        let _ = writeln!(
            out,
            "{:<8} {} ({} bytes, {} {hash})",
            "output", file.path, file.bytes, file.kind
        );
    }
    for diagnostic in &record.diagnostics {
        let _ = writeln!(out, "{:<8} {}", "note", diagnostic.line());
    }
    if let Some(methodology) = &record.methodology {
        for finding in &methodology.findings {
            let _ = writeln!(out, "{:<8} {}", "method", finding.summary());
        }
    }
    let hash = &record.module_sha256[..12.min(record.module_sha256.len())];
    match &record.gvisor {
        Some(gvisor) => {
            let _ = writeln!(
                out,
                "{:<8} {} in gVisor ({}, platform {}), environment {hash}",
                "runner", record.runner.name, gvisor.runsc, gvisor.platform
            );
        }
        None => {
            let _ = writeln!(out, "{:<8} {} sha256 {hash}", "module", record.runner.name);
        }
    }
    for package in &record.runner.packages {
        let _ = writeln!(
            out,
            "{:<8} {} {} ({})",
            "package", package.name, package.version, package.asked_by
        );
    }
    for entry in &record.entries {
        let status = match entry.status {
            CellStatus::Ok => "ok",
            CellStatus::Error => "error",
            CellStatus::Skipped => "skipped",
        };
        let _ = writeln!(
            out,
            "{:<8} {} {status}: {}",
            "entry", entry.path, entry.message
        );
    }
    for notebook in record.notebooks() {
        let _ = writeln!(out, "{:<8} {}", "notebook", notebook.path);
        for cell in &notebook.cells {
            let status = match cell.status {
                CellStatus::Ok => "ok",
                CellStatus::Error => "error",
                CellStatus::Skipped => "skipped",
            };
            let error = cell
                .error
                .as_ref()
                .map(|e| format!(" {}: {}", e.ename, e.evalue.lines().next().unwrap_or("")))
                .unwrap_or_default();
            let _ = writeln!(out, "{:<8} {:<4} {status}{error}", "cell", cell.index);
        }
    }
    out
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
