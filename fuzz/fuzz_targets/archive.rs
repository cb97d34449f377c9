//! Archive intake: any bytes as an upload (zip or tar.gz, told apart by content).
#![no_main]

use libfuzzer_sys::fuzz_target;
use takehome::submission::archive::{Caps, unpack};

fuzz_target!(|data: &[u8]| {
    let scratch = tempfile::tempdir().unwrap();
    let upload = scratch.path().join("upload");
    std::fs::write(&upload, data).unwrap();
    // Small caps keep each input quick; the checks are the same as at the defaults.
    let caps = Caps {
        max_entries: 200,
        max_total_bytes: 8 << 20,
        max_file_bytes: 4 << 20,
        max_ratio: 200,
    };
    if let Ok(unpacked) = unpack(&upload, scratch.path(), &caps) {
        for file in &unpacked.files {
            // A name may hold "..", as in "notes..txt"; no component may be "." or ".." or empty.
            assert!(
                !file.path.starts_with('/')
                    && file.path.split('/').all(|c| !matches!(c, "" | "." | "..")),
                "{}",
                file.path
            );
            assert!(
                unpacked.dir.path().join(&file.path).is_file(),
                "{}",
                file.path
            );
        }
    }
});
