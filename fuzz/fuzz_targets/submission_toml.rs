//! `submission.toml`: any text, parsed as intake does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let file = std::path::Path::new("submission.toml");
    if let Err(problems) = takehome::assignment::parse_manifest(file, text) {
        assert!(!problems.is_empty());
        for problem in problems {
            let _ = problem.to_string();
        }
    }
});
