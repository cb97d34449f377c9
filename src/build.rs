//! Build script: records the wasmtime version from Cargo.lock for run records.

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut version = "unknown".to_string();
    let mut in_wasmtime = false;
    for line in lock.lines() {
        if line.starts_with("name = ") {
            in_wasmtime = line == "name = \"wasmtime\"";
        } else if in_wasmtime && line.starts_with("version = ") {
            version = line
                .trim_start_matches("version = ")
                .trim_matches('"')
                .to_string();
            break;
        }
    }
    println!("cargo:rustc-env=TAKEHOME_WASMTIME_VERSION={version}");
}
