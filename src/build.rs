//! Build script: records the wasmtime and tract-onnx versions from Cargo.lock for records.

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    println!(
        "cargo:rustc-env=TAKEHOME_WASMTIME_VERSION={}",
        locked_version(&lock, "wasmtime")
    );
    println!(
        "cargo:rustc-env=TAKEHOME_TRACT_VERSION={}",
        locked_version(&lock, "tract-onnx")
    );
}

/// The version of package `name` in the lock file's text.
fn locked_version(lock: &str, name: &str) -> String {
    let wanted = format!("name = \"{name}\"");
    let mut in_package = false;
    for line in lock.lines() {
        if line.starts_with("name = ") {
            in_package = line == wanted;
        } else if in_package && line.starts_with("version = ") {
            return line
                .trim_start_matches("version = ")
                .trim_matches('"')
                .to_string();
        }
    }
    "unknown".to_string()
}
