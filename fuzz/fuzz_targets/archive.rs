//! Archive intake: any bytes as an upload (zip or tar.gz, told apart by content).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "intake_checks.rs"]
mod intake_checks;

fuzz_target!(|data: &[u8]| {
    let scratch = tempfile::tempdir().unwrap();
    let upload = scratch.path().join("upload");
    std::fs::write(&upload, data).unwrap();
    let _ = intake_checks::unpack_and_check(&upload, scratch.path());
});
