//! The one line a packet shows about which sandbox ran the program (and what it replaced).

use crate::record::Isolation;
use crate::sandbox::RunRecord;

/// `WebAssembly (wasmtime 48.0.8), runner python`, or `gVisor (runsc version …, platform
/// ptrace), runner python-native, after a python run that missed a package`.
pub fn sandbox_line(record: &RunRecord) -> String {
    let tier = match (&record.isolation, &record.gvisor) {
        (Isolation::Gvisor, Some(g)) => format!("gVisor ({}, platform {})", g.runsc, g.platform),
        (Isolation::Gvisor, None) => "gVisor".to_string(),
        (Isolation::Wasm, _) => format!("WebAssembly (wasmtime {})", record.versions.wasmtime),
    };
    let mut line = format!("{tier}, runner {}", record.runner.name);
    if let Some(first) = &record.fallback_of {
        line.push_str(&format!(
            ", after a {} run that missed a package ({})",
            first.runner.name, first.verdict
        ));
    }
    line
}
