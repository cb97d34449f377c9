//! The one line a packet shows about which sandbox ran the program, with what packages
//! beyond the runner's own, and what it replaced.

use crate::record::{DiagnosticKind, Isolation};
use crate::sandbox::RunRecord;

/// `WebAssembly (wasmtime 48.0.8), runner python`, or `gVisor (runsc version …, platform
/// ptrace), runner python-native, with pandas 2.3.3 (version_drift: pandas<3) and 2
/// dependencies, after a python run that failed with code written for an older library`.
pub fn sandbox_line(record: &RunRecord) -> String {
    let tier = match (&record.isolation, &record.gvisor) {
        (Isolation::Gvisor, Some(g)) => format!("gVisor ({}, platform {})", g.runsc, g.platform),
        (Isolation::Gvisor, None) => "gVisor".to_string(),
        (Isolation::Wasm, _) => format!("WebAssembly (wasmtime {})", record.versions.wasmtime),
    };
    let mut line = format!("{tier}, runner {}", record.runner.name);
    let (dependencies, asked): (Vec<_>, Vec<_>) = record
        .runner
        .packages
        .iter()
        .partition(|p| p.asked_by == "dependency");
    if !asked.is_empty() {
        let named: Vec<String> = asked
            .iter()
            .map(|p| format!("{} {} ({})", p.name, p.version, p.asked_by))
            .collect();
        line.push_str(&format!(", with {}", named.join(", ")));
        if !dependencies.is_empty() {
            line.push_str(&format!(" and {} dependencies", dependencies.len()));
        }
    }
    if let Some(first) = &record.fallback_of {
        let missed = first
            .diagnostics
            .iter()
            .any(|d| d.kind == DiagnosticKind::MissingModule);
        let why = if missed {
            "missed a package"
        } else {
            "failed with code written for an older library"
        };
        line.push_str(&format!(
            ", after a {} run that {why} ({})",
            first.runner.name, first.verdict
        ));
    }
    line
}
