//! `assignment.toml`: any text, checked as `takehome assignment check` does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("assignment.toml"), text).unwrap();
    std::fs::write(dir.path().join("brief.md"), "# Brief\n").unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::create_dir(dir.path().join("hidden")).unwrap();
    std::fs::write(dir.path().join("hidden/truth.csv"), "id,target\na,1\nb,0\n").unwrap();
    if let Err(problems) = takehome::assignment::check(dir.path()) {
        assert!(!problems.is_empty());
        for problem in problems {
            let _ = problem.to_string();
        }
    }
});
