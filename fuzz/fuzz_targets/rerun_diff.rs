//! The rerun differ: two versions of an output file (split at the first 0xFF byte), compared
//! as CSV, JSON, notebook and plain text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(at) = data.iter().position(|&b| b == 0xFF) else {
        return;
    };
    let (Ok(old), Ok(new)) = (
        std::str::from_utf8(&data[..at]),
        std::str::from_utf8(&data[at + 1..]),
    ) else {
        return;
    };
    for path in [
        "out/predictions.csv",
        "out/metrics.json",
        "analysis.ipynb",
        "log.txt",
    ] {
        let _ = takehome::evaluate::rerun::content_diff(path, old, new);
    }
});
